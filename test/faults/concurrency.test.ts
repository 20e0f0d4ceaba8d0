import crypto from 'node:crypto';
import { ensureDatabase } from '../../src/db/ensure-database';
import { createDb, Db } from '../../src/db/knex';
import { call, makeDataDir, ServerProcess, startServer } from '../helpers/server-process';

/**
 * Issue 6 fault cases 1 and 2: 50 concurrent clients × 100 `model-versions/create` on ONE model, first
 * against one real server, then split across two servers sharing one PostgreSQL and one artifact
 * directory (horizontal scale). Versions must come out exactly 1..5000 with 5000 distinct semvers and no 5xx:
 * numbering and semver allocation must live in the database, not in a process's memory.
 */
const CLIENTS = 50;
const PER_CLIENT = 100;
const TOTAL = CLIENTS * PER_CLIENT;
const SOURCE = 'mlflow-artifacts:/0/models/m-0123456789abcdef0123456789abcdef/artifacts';

async function freshDatabase(): Promise<{ url: string; db: Db }> {
  const url = await ensureDatabase(
    process.env.TEST_DATABASE_URL!,
    `f_${crypto.randomBytes(6).toString('hex')}`,
  );
  return { url, db: createDb(url, 2) };
}

interface LoadResult {
  statuses: Map<number, number>;
  crossReadFailures: string[];
}

/** `CLIENTS` workers, worker i talks to servers[i % n]; every 10th version is read back from another server. */
async function runLoad(servers: ServerProcess[], model: string): Promise<LoadResult> {
  const statuses = new Map<number, number>();
  const crossReadFailures: string[] = [];
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_v, worker) => {
      const mine = servers[worker % servers.length];
      const other = servers[(worker + 1) % servers.length];
      for (let i = 0; i < PER_CLIENT; i += 1) {
        const res = await call(mine.url, 'POST', '/api/2.0/mlflow/model-versions/create', {
          name: model,
          source: SOURCE,
        });
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status === 200 && i % 10 === 0) {
          const version = res.body.model_version.version as string;
          const read = await call(
            other.url,
            'GET',
            `/api/2.0/mlflow/model-versions/get?name=${encodeURIComponent(model)}&version=${version}`,
          );
          if (read.status !== 200 || read.body.model_version.version !== version) {
            crossReadFailures.push(`v${version}: ${read.status} ${JSON.stringify(read.body).slice(0, 200)}`);
          }
        }
      }
    }),
  );
  return { statuses, crossReadFailures };
}

async function expectExactVersions(db: Db, model: string): Promise<void> {
  const rows: Array<{ version: number; semver: string }> = await db('model_versions as v')
    .join('registered_models as m', 'm.id', 'v.registered_model_id')
    .where('m.name', model)
    .select('v.version', 'v.semver')
    .orderBy('v.version');
  expect(rows.map((row) => Number(row.version))).toEqual(Array.from({ length: TOTAL }, (_v, i) => i + 1));
  expect(new Set(rows.map((row) => row.semver)).size).toBe(TOTAL);
}

describe('one server, 50 clients × 100 versions on one model', () => {
  let server: ServerProcess;
  let db: Db;
  beforeAll(async () => {
    const database = await freshDatabase();
    db = database.db;
    server = await startServer({ databaseUrl: database.url });
  });
  afterAll(async () => {
    await server?.stop();
    await db?.destroy();
  });

  it('allocates exactly versions 1..5000 with 5000 distinct semvers and no 5xx', async () => {
    const model = 'concurrent-one';
    expect(
      (await call(server.url, 'POST', '/api/2.0/mlflow/registered-models/create', { name: model })).status,
    ).toBe(200);
    const { statuses, crossReadFailures } = await runLoad([server], model);
    expect(Object.fromEntries(statuses)).toEqual({ 200: TOTAL });
    expect(crossReadFailures).toEqual([]);
    await expectExactVersions(db, model);
  });
});

describe('two servers on one PostgreSQL and one artifact directory', () => {
  let servers: ServerProcess[];
  let db: Db;
  beforeAll(async () => {
    const database = await freshDatabase();
    db = database.db;
    const artifactRoot = makeDataDir('semreg-shared-artifacts-');
    // One after the other: both run the migrations at start, the second finds them applied.
    const first = await startServer({ databaseUrl: database.url, env: { ARTIFACT_ROOT: artifactRoot } });
    const second = await startServer({ databaseUrl: database.url, env: { ARTIFACT_ROOT: artifactRoot } });
    servers = [first, second];
  });
  afterAll(async () => {
    await Promise.all((servers ?? []).map((server) => server.stop()));
    await db?.destroy();
  });

  it('gives the same exact result with the load split across both, and each sees the other’s writes at once', async () => {
    const model = 'concurrent-two';
    expect(
      (await call(servers[0].url, 'POST', '/api/2.0/mlflow/registered-models/create', { name: model }))
        .status,
    ).toBe(200);
    const seenOnOther = await call(
      servers[1].url,
      'GET',
      `/api/2.0/mlflow/registered-models/get?name=${model}`,
    );
    expect(seenOnOther.status).toBe(200);
    const { statuses, crossReadFailures } = await runLoad(servers, model);
    expect(Object.fromEntries(statuses)).toEqual({ 200: TOTAL });
    expect(crossReadFailures).toEqual([]);
    await expectExactVersions(db, model);
    // Aliases and tags set through one process are served by the other (no per-process cache).
    await call(servers[1].url, 'POST', '/api/2.0/mlflow/registered-models/alias', {
      name: model,
      alias: 'champion',
      version: '4321',
    });
    const alias = await call(
      servers[0].url,
      'GET',
      `/api/2.0/mlflow/registered-models/alias?name=${model}&alias=champion`,
    );
    expect(alias.body.model_version?.version).toBe('4321');
  });
});
