// Fails when the committed generated client (src/lib/api/schema.d.ts) is stale against
// openapi.json (the gateway's exported OpenAPI document): regenerate with `make client`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const committed = join(root, 'src/lib/api/schema.d.ts');
const dir = mkdtempSync(join(tmpdir(), 'dd-client-'));
const fresh = join(dir, 'schema.d.ts');
try {
  execFileSync(
    process.execPath,
    [join(root, 'node_modules/openapi-typescript/bin/cli.js'), join(root, 'openapi.json'), '-o', fresh],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const same = readFileSync(fresh, 'utf8') === readFileSync(committed, 'utf8');
  if (!same) {
    console.error(
      'check:client: src/lib/api/schema.d.ts is stale against openapi.json.\n' +
        '  Regenerate it with `make client` (or `npm run generate:client`) and commit it.',
    );
    process.exit(1);
  }
  console.log('check:client: generated client matches openapi.json');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
