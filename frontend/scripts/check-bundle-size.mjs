// Prints the initial JavaScript (what index.html loads before any lazy route) gzipped,
// and fails past the budget. Lazy chunks (the result page and its chart) are listed too.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const BUDGET_BYTES = 200 * 1024;

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

/** Scripts and module preloads that index.html makes the browser fetch at once. */
export function initialScripts(html) {
  const found = new Set();
  for (const m of html.matchAll(/<script[^>]*\bsrc="([^"]+\.js)"/g)) found.add(m[1]);
  for (const m of html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+\.js)"/g)) found.add(m[1]);
  return [...found].map((src) => src.replace(/^\//, ''));
}

const gz = (path) => gzipSync(readFileSync(path), { level: 9 }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const initial = initialScripts(html);
  let total = 0;
  for (const file of initial) {
    const size = gz(join(dist, file));
    total += size;
    console.log(`initial  ${kb(size).padStart(9)}  ${file}`);
  }
  const lazy = readdirSync(join(dist, 'assets')).filter(
    (f) => f.endsWith('.js') && !initial.includes(`assets/${f}`),
  );
  for (const f of lazy) console.log(`lazy     ${kb(gz(join(dist, 'assets', f))).padStart(9)}  assets/${f}`);
  console.log(`Initial JS (gzipped): ${kb(total)} of a ${kb(BUDGET_BYTES)} budget`);
  if (initial.length === 0 || total > BUDGET_BYTES) {
    console.error(initial.length === 0 ? 'No initial script found in dist/index.html' : 'Initial JS is over budget');
    process.exit(1);
  }
}
