import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { StartupFailure } from '../startup/startup-failure';
import { canEnter, SystemUser } from './postgres-user';

/** Clusters the `postgres` user could not reach inside DATA_DIR live below this directory. */
export const DEFAULT_CLUSTER_ROOT = '/var/lib/semreg/postgres';

/** Written into DATA_DIR when the cluster lives outside it: the cluster's absolute path, one line. */
export const LOCATION_FILE = 'postgres-location';

export interface ClusterLocation {
  readonly dir: string;
  /** Set when this start chose a directory outside DATA_DIR: record it once the cluster exists. */
  readonly record?: () => Promise<void>;
}

type Log = (message: string) => void;

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

/**
 * Where DATA_DIR's embedded cluster lives. Normally `<DATA_DIR>/postgres`. Running as root, the cluster runs
 * as the `postgres` user (`user`; undefined when semreg is not root), who cannot enter a DATA_DIR below a private directory (a clone in /root, a
 * `mktemp -d` folder). semreg does not loosen the modes of the user's directories to fix that: it keeps that
 * cluster in `<clusterRoot>/<random id>` (by default /var/lib/semreg/postgres/…, which root owns and
 * `postgres` may enter) and records the path in `<DATA_DIR>/postgres-location`, so every later start — also
 * of a DATA_DIR moved on the same host — finds the same cluster.
 */
export async function locateCluster(
  dataDir: string,
  clusterRoot: string,
  user: SystemUser | undefined,
  log: Log,
): Promise<ClusterLocation> {
  const inside = path.join(dataDir, 'postgres');
  const locationFile = path.join(dataDir, LOCATION_FILE);
  if (await exists(locationFile)) {
    const dir = (await fs.readFile(locationFile, 'utf8')).trim();
    if (!(await exists(path.join(dir, 'PG_VERSION')))) {
      throw new StartupFailure(
        `${locationFile} says DATA_DIR's database is in ${dir}, but no PostgreSQL cluster is there: restore it to that path, or delete ${locationFile} to start with an empty registry`,
      );
    }
    log(`the database cluster of ${dataDir} is in ${dir} (${locationFile})`);
    return { dir };
  }
  if (!user || (await exists(path.join(inside, 'PG_VERSION'))) || (await canEnter(user, dataDir))) {
    return { dir: inside };
  }
  await fs.mkdir(clusterRoot, { recursive: true, mode: 0o711 });
  if (!(await canEnter(user, clusterRoot))) {
    throw new StartupFailure(
      `the postgres user cannot enter DATA_DIR ${dataDir} nor EMBEDDED_POSTGRES_ROOT ${clusterRoot}: set EMBEDDED_POSTGRES_ROOT to a directory that user can enter, or DATABASE_URL`,
    );
  }
  const dir = path.join(clusterRoot, crypto.randomUUID());
  log(
    `the postgres user cannot enter ${dataDir} (a private parent directory), so its database cluster goes to ${dir}; ${locationFile} records where`,
  );
  return { dir, record: () => fs.writeFile(locationFile, `${dir}\n`, { mode: 0o644 }) };
}
