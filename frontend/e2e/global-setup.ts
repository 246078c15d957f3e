// Starts the real stack for the end-to-end run and stops it afterwards:
// scripts/run_stack.py on a free block of five ports (the gateway serves frontend/dist),
// and a second gateway with GATEWAY_REQUIRE_KEYS=true plus a key made with the keys CLI.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const FRONTEND = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const REPO = resolve(FRONTEND, '..');
const PYTHON = process.env.DD_PYTHON ?? join(REPO, '.venv/bin/python');
const HOST = '127.0.0.1';
const OFFSETS = { gateway: 0, image: 1, audio: 2, video: 3, fusion: 4 } as const;

function portFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, HOST, () => server.close(() => done(true)));
  });
}

async function freeBlock(size: number): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
    let ok = true;
    for (let i = 0; i < size && ok; i++) ok = await portFree(base + i);
    if (ok) return base;
  }
  throw new Error('no free block of ports');
}

async function waitReady(url: string, proc: ChildProcess, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode != null) throw new Error(`${what} exited early (code ${proc.exitCode}); see test-results/*.log`);
    try {
      const response = await fetch(`${url}/readyz`);
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${what} not ready at ${url} after ${timeoutMs / 1000} s; see test-results/*.log`);
}

function stop(proc: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise((done) => {
    if (proc.exitCode != null || proc.pid == null) return done();
    const timer = setTimeout(() => {
      try {
        process.kill(-proc.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      done();
    }, 30_000);
    proc.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    try {
      process.kill(-proc.pid, signal);
    } catch {
      done();
    }
  });
}

export default async function globalSetup() {
  if (!existsSync(join(FRONTEND, 'dist/index.html'))) {
    throw new Error('frontend/dist is missing: run `npm run build` before `npm run e2e`.');
  }
  const logs = join(FRONTEND, 'test-results');
  mkdirSync(logs, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'dd-e2e-'));
  const base = await freeBlock(5);
  const env = {
    ...process.env,
    GATEWAY_DATA_DIR: join(work, 'gateway'),
    OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? '1',
  };
  const stackLog = openSync(join(logs, 'stack.log'), 'w');
  const stack = spawn(PYTHON, [join(REPO, 'scripts/run_stack.py'), '--base-port', String(base)], {
    cwd: REPO,
    env,
    detached: true,
    stdio: ['ignore', stackLog, stackLog],
  });
  const url = (service: keyof typeof OFFSETS) => `http://${HOST}:${base + OFFSETS[service]}`;

  const keysPort = (await freeBlock(1)) as number;
  const keysEnv = {
    ...env,
    GATEWAY_DATA_DIR: join(work, 'gateway-keys'),
    GATEWAY_HOST: HOST,
    GATEWAY_PORT: String(keysPort),
    GATEWAY_REQUIRE_KEYS: 'true',
    GATEWAY_IMAGE_URL: url('image'),
    GATEWAY_AUDIO_URL: url('audio'),
    GATEWAY_VIDEO_URL: url('video'),
    GATEWAY_FUSION_URL: url('fusion'),
  };
  let keysGateway: ChildProcess | null = null;
  const teardown = async () => {
    if (keysGateway) await stop(keysGateway, 'SIGTERM');
    await stop(stack, 'SIGINT');
    rmSync(work, { recursive: true, force: true });
  };
  try {
    for (const service of Object.keys(OFFSETS) as (keyof typeof OFFSETS)[]) {
      await waitReady(url(service), stack, `stack (${service})`, 300_000);
    }
    // The key is made against the keys gateway's own database (GATEWAY_DATA_DIR).
    const created = execFileSync(PYTHON, ['-m', 'dd_gateway.keys', 'create', 'e2e'], {
      cwd: REPO,
      env: keysEnv,
      encoding: 'utf8',
    });
    const key = /ddk_[A-Za-z0-9_-]+/.exec(created)?.[0];
    if (!key) throw new Error(`no key in the keys CLI output:\n${created}`);
    const keysLog = openSync(join(logs, 'gateway-keys.log'), 'w');
    keysGateway = spawn(PYTHON, ['-m', 'dd_gateway'], {
      cwd: REPO,
      env: keysEnv,
      detached: true,
      stdio: ['ignore', keysLog, keysLog],
    });
    await waitReady(`http://${HOST}:${keysPort}`, keysGateway, 'keys gateway', 120_000);
    process.env.DD_E2E_URL = url('gateway');
    process.env.DD_E2E_KEYS_URL = `http://${HOST}:${keysPort}`;
    process.env.DD_E2E_KEY = key;
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}
