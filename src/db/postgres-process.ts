import { ChildProcess, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { SystemUser } from './postgres-user';

type Log = (message: string) => void;

/** Where the binaries are, which user runs them (undefined: this process's user), what they say. */
export interface PostgresRuntime {
  readonly binDir: string;
  readonly user?: SystemUser;
  readonly log: Log;
}

/** initdb or postgres exited with an error; `report` is what they printed last (their reason). */
export class PostgresProcessError extends Error {
  constructor(
    message: string,
    readonly report: string,
  ) {
    super(`${message}: ${report}`);
    this.name = 'PostgresProcessError';
  }
}

// English messages whatever the host's locale: start-up failures quote them.
const ENV = { ...process.env, LC_MESSAGES: 'C' };

/** The last error lines PostgreSQL or initdb printed: the reason when it stops early. */
function lastErrors(output: string): string {
  const reasons = output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /\b(FATAL|PANIC|ERROR|error):/.test(line) || /No space left on device/.test(line));
  return reasons.slice(-2).join(' / ') || output.trim().split('\n').at(-1) || 'it exited without saying why';
}

function spawnAs(runtime: PostgresRuntime, program: string, args: string[]): ChildProcess {
  return spawn(path.join(runtime.binDir, 'bin', program), args, {
    ...(runtime.user ? { uid: runtime.user.uid, gid: runtime.user.gid } : {}),
    env: ENV,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * Creates a cluster in `dataDir` (owned by the runtime's user) whose superuser `user` logs in with
 * `password` over TCP. initdb removes what it wrote when it fails.
 */
export async function initCluster(
  runtime: PostgresRuntime,
  dataDir: string,
  credentials: { user: string; password: string },
): Promise<void> {
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (runtime.user) await fs.chown(dataDir, runtime.user.uid, runtime.user.gid);
  // Next to the cluster, so the user that runs initdb can read it wherever the cluster lives.
  const passwordFile = path.join(path.dirname(dataDir), `.pwfile-${crypto.randomBytes(6).toString('hex')}`);
  await fs.writeFile(passwordFile, `${credentials.password}\n`, { mode: 0o600 });
  try {
    if (runtime.user) await fs.chown(passwordFile, runtime.user.uid, runtime.user.gid);
    const child = spawnAs(runtime, 'initdb', [
      `--pgdata=${dataDir}`,
      '--auth=password',
      `--username=${credentials.user}`,
      `--pwfile=${passwordFile}`,
      '--encoding=UTF8',
    ]);
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      runtime.log(chunk.toString().trim());
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    if (code !== 0) throw new PostgresProcessError(`initdb failed in ${dataDir}`, lastErrors(output));
  } finally {
    await fs.rm(passwordFile, { force: true });
  }
}

export interface RunningPostgres {
  readonly port: number;
  /** Fast shutdown (SIGINT), then waits for the server to exit. */
  stop(): Promise<void>;
}

/** Starts `postgres` on `dataDir`, listening on 127.0.0.1:`port` only; resolves once it accepts connections. */
export async function startPostgres(
  runtime: PostgresRuntime,
  dataDir: string,
  port: number,
  settings: Record<string, string> = {},
): Promise<RunningPostgres> {
  const flags = Object.entries({
    listen_addresses: '127.0.0.1',
    // No Unix socket: the default socket directory may not exist or be writable.
    unix_socket_directories: '',
    ...settings,
  }).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
  const child = spawnAs(runtime, 'postgres', ['-D', dataDir, '-p', String(port), ...flags]);
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      output = (output + text).slice(-20_000);
      runtime.log(text.trim());
      if (output.includes('database system is ready to accept connections')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', reject);
    child.once('exit', () =>
      reject(new PostgresProcessError(`PostgreSQL did not start in ${dataDir}`, lastErrors(output))),
    );
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    port,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGINT');
      await exited;
    },
  };
}
