import '@testing-library/jest-dom/vitest';
import { cleanup, configure } from '@testing-library/react';
import { afterAll, afterEach, beforeAll, vi } from 'vitest';
import { server } from './server';
import { XhrOverFetch } from './xhr-over-fetch';

// Lazy routes load on first use; a busy CI machine needs more than the 1 s default.
configure({ asyncUtilTimeout: 5000 });

beforeAll(() => {
  server.listen({ onUnhandledRequest: 'error' });
  // After listen(): MSW installs its own XMLHttpRequest there.
  vi.stubGlobal('XMLHttpRequest', XhrOverFetch);
});
afterEach(() => {
  cleanup();
  server.resetHandlers();
  localStorage.clear();
});
afterAll(() => server.close());
