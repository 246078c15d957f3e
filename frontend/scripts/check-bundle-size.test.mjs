import { describe, expect, it } from 'vitest';
import { initialScripts } from './check-bundle-size.mjs';

describe('initialScripts', () => {
  it('counts entry scripts and module preloads, not lazy chunks', () => {
    const html =
      '<script src="/theme-init.js"></script><script type="module" crossorigin src="/assets/index-a1.js"></script>' +
      '<link rel="modulepreload" crossorigin href="/assets/vendor-b2.js"><link rel="stylesheet" href="/assets/index.css">';
    expect(initialScripts(html)).toEqual(['theme-init.js', 'assets/index-a1.js', 'assets/vendor-b2.js']);
  });
});
