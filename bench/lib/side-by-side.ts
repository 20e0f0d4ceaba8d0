import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres';
import { ensureDatabase } from '../../src/db/ensure-database';
import { ensureMlflowVenv, mlflowVersion, startMlflow } from './mlflow-server';
import { startSemreg } from './semreg-server';
import { SpawnedServer } from './spawned-server';

export const SERVERS = ['semreg', 'mlflow'] as const;
export type ServerName = (typeof SERVERS)[number];
export type PerServer<T> = Record<ServerName, T>;

export interface SideBySide {
  servers: PerServer<SpawnedServer>;
  /** Each server's database on the shared PostgreSQL (MLflow's with SQLAlchemy's driver scheme). */
  databases: PerServer<string>;
  /** `mlflow, version 3.17.2`, for the result file. */
  mlflowVersion: string;
  /** A scratch directory (mode 755) that `stop` removes. */
  scratch: string;
  stop(): Promise<void>;
}

/**
 * semreg and the reference `mlflow server` (`.venv-bench/`) on ONE embedded PostgreSQL, a database each, so
 * the database is not what differs between them.
 */
export async function startSideBySide(name: string): Promise<SideBySide> {
  const mlflowBin = ensureMlflowVenv();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), `semreg-bench-${name}-`));
  // Embedded PostgreSQL runs as an unprivileged user when we are root: it must reach the directory.
  fs.chmodSync(scratch, 0o755);
  const dir = (sub: string) => {
    const full = path.join(scratch, sub);
    fs.mkdirSync(full, { mode: 0o755 });
    return full;
  };
  const pg = await startEmbeddedPostgres(dir('pg'));
  const started: Partial<PerServer<SpawnedServer>> = {};
  let databases: PerServer<string>;
  const stop = async () => {
    for (const server of SERVERS) await started[server]?.stop();
    await pg.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  };
  try {
    const semregDb = await ensureDatabase(pg.url, `semreg_${name.replace(/\W/g, '_')}`);
    // SQLAlchemy wants postgresql://, and names the driver: its default for the bare scheme is psycopg 3.
    const mlflowDb = (await ensureDatabase(pg.url, `mlflow_${name.replace(/\W/g, '_')}`)).replace(
      /^postgres:/,
      'postgresql+psycopg2:',
    );
    databases = { semreg: semregDb, mlflow: mlflowDb };
    console.log('starting semreg and mlflow server on one PostgreSQL…');
    started.semreg = await startSemreg(dir('semreg'), { DATABASE_URL: semregDb });
    started.mlflow = await startMlflow({
      mlflow: mlflowBin,
      backendStoreUri: mlflowDb,
      artifactsDir: dir('mlflow-artifacts'),
      workDir: dir('mlflow-cwd'),
    });
  } catch (err) {
    await stop();
    throw err;
  }
  const servers = started as PerServer<SpawnedServer>;
  const version = mlflowVersion(mlflowBin);
  console.log(`semreg ${servers.semreg.url}, ${version} ${servers.mlflow.url}`);
  return { servers, databases, mlflowVersion: version, scratch, stop };
}

/** `work` on each server in turn, timed. */
export async function forEachServer<T>(
  servers: PerServer<SpawnedServer>,
  label: string,
  work: (name: ServerName, server: SpawnedServer) => Promise<T>,
): Promise<PerServer<T>> {
  const out = {} as PerServer<T>;
  // One server at a time: on a shared 2-core machine running both at once would measure the contention.
  for (const name of SERVERS) {
    const t0 = performance.now();
    out[name] = await work(name, servers[name]);
    console.log(`  ${label} on ${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  return out;
}
