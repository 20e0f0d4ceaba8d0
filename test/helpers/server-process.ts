import { ChildProcess, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ensureDatabase } from '../../src/db/ensure-database';
import { freePort } from '../../src/net/free-port';

export { freePort };

/**
 * `count` distinct free ports on 127.0.0.1: two `freePort()` calls in a row may return the same port once the
 * first is closed (a server given it as PORT and METRICS_PORT then fails to start, as CI saw once).
 */
export async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/**
 * A real semreg process (`node dist/main.js`), as an operator runs it, for the fault suite and the start-up tests: crashes
 * (SIGKILL), restarts on the same data, several processes on one database. Nothing is mocked.
 */
export interface ServerProcess {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly pid: number;
  /** stdout + stderr so far (the server's pino log), for failure messages. */
  output(): string;
  /** SIGKILL: no shutdown handler runs, exactly like a crash or the OOM killer. */
  kill9(): Promise<void>;
  /** SIGTERM and wait: the graceful path. */
  stop(): Promise<void>;
}

export interface StartOptions {
  dataDir?: string;
  databaseUrl?: string;
  port?: number;
  env?: Record<string, string>;
  /** How long to wait for /health to answer 200. */
  startTimeoutMs?: number;
}

const REPO_ROOT = path.resolve(__dirname, '..', '..');
/** What `npm start` runs (built by the test scripts' pre-step and jest's global setup). */
const ENTRY = path.join(REPO_ROOT, 'dist', 'main.js');

/** A data directory PostgreSQL (running as `postgres` when we are root) can traverse. */
export function makeDataDir(prefix = 'semreg-fault-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o755);
  return dir;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Until nothing accepts connections on `port` any more (the server process itself is gone). */
async function waitUntilClosed(port: number): Promise<void> {
  for (let i = 0; i < 100; i += 1) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (!open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`port ${port} still accepts connections after the server was stopped`);
}

/**
 * Until every process of the group is reaped. A SIGKILLed process stays a zombie until its parent reaps it,
 * and a zombie still "exists" for kill(pid, 0) — the check the store uses to tell abandoned temporary files.
 * A real restart (new container, systemd) only happens after that, so the test waits for it too.
 */
async function waitUntilGroupGone(pgid: number): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    try {
      process.kill(-pgid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`process group ${pgid} is still there 10 s after SIGKILL`);
}

async function waitForHealth(
  url: string,
  child: ChildProcess,
  output: () => string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `semreg exited (${child.exitCode ?? child.signalCode}) before it was healthy:\n${output()}`,
      );
    }
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`semreg did not become healthy within ${timeoutMs} ms:\n${output()}`);
}

/** A new, empty database on the suite's PostgreSQL, so a fault test shares no rows with any other. */
export async function freshDatabaseUrl(): Promise<string> {
  return ensureDatabase(process.env.TEST_DATABASE_URL!, `f_${crypto.randomBytes(6).toString('hex')}`);
}

export async function startServer(options: StartOptions = {}): Promise<ServerProcess> {
  const dataDir = options.dataDir ?? makeDataDir();
  const port = options.port ?? (await freePort());
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? os.tmpdir(),
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    WEBHOOK_WORKER: 'off',
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
    ...options.env,
  };
  // Its own process group, so a crash can be delivered to everything the server started with it.
  const child = spawn(process.execPath, [ENTRY], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // already gone
    }
  };
  let log = '';
  const append = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(url, child, () => log, options.startTimeoutMs ?? 90_000);
  } catch (err) {
    signalGroup('SIGKILL');
    throw err;
  }
  return {
    url,
    port,
    dataDir,
    pid: child.pid!,
    output: () => log,
    async kill9() {
      signalGroup('SIGKILL');
      await exited(child);
      await waitUntilClosed(port);
      await waitUntilGroupGone(child.pid!);
    },
    async stop() {
      signalGroup('SIGTERM');
      const timer = setTimeout(() => signalGroup('SIGKILL'), 15_000);
      await exited(child);
      clearTimeout(timer);
      await waitUntilClosed(port);
    },
  };
}

/** JSON call to a running server; never throws on HTTP errors (the status is part of the result). */
export async function call(
  url: string,
  method: string,
  pathAndQuery: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}${pathAndQuery}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // plain-text answers (/health) stay text
  }
  return { status: res.status, body: parsed };
}

export interface FailedStart {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `node dist/main.js` with exactly `env` (plus PATH and HOME) where it is expected NOT to start, and
 * resolves with how it exited. A server still running after `timeoutMs` is killed and reported as an error.
 */
export async function runFailingStart(env: Record<string, string>, timeoutMs = 60_000): Promise<FailedStart> {
  const child = spawn(process.execPath, [ENTRY], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? os.tmpdir(),
      WEBHOOK_WORKER: 'off',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), timeoutMs);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once('close', (exitCode, exitSignal) => resolve([exitCode, exitSignal])),
  );
  clearTimeout(timer);
  if (signal === 'SIGKILL')
    throw new Error(`semreg was still running after ${timeoutMs} ms:\n${stdout}${stderr}`);
  return { code, stdout, stderr };
}
