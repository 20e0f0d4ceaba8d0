/**
 * Webhook benchmark (`npm run bench:events`): N alias promotions over HTTP with W webhooks registered, against
 * a spawned `node dist/main.js`, killed with SIGKILL halfway and restarted.
 *
 * - Latency: from the event's timestamp (in the delivered envelope) to its arrival at the receiver, p50/p99.
 * - Durability: every event committed in the database must reach every receiver at least once — "lost" is
 *   (committed events × W) − distinct deliveries received, and must be 0 (exit code 1 otherwise). The kill
 *   happens while promotions and deliveries are in flight; the outbox and leases carry them across.
 *
 * PostgreSQL runs in this process (embedded), not under the server, so killing the server leaves it intact,
 * as a real deployment's database would be. Writes bench/results/events.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres';
import { ensureDatabase } from '../src/db/ensure-database';
import { createDb } from '../src/db/knex';
import { freePort } from '../src/net/free-port';
import { requestJson } from './lib/json-request';
import { latencyStats } from './lib/latency-stats';
import { REPO, writeResult } from './lib/results';
import { waitForHttp } from './lib/spawned-server';

interface Receiver {
  url: string;
  deliveries: Map<string, number>;
  latencies: number[];
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const deliveries = new Map<string, number>();
  const latencies: number[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const id = String(req.headers['x-mlflow-delivery-id']);
      if (!deliveries.has(id)) {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { timestamp: string };
        latencies.push(Date.now() - Date.parse(body.timestamp));
      }
      deliveries.set(id, (deliveries.get(id) ?? 0) + 1);
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    deliveries,
    latencies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function startServer(databaseUrl: string, dataDir: string, port: number): Promise<ChildProcess> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    AUTH: 'off',
    WEBHOOK_ALLOW_PRIVATE: 'true',
    WEBHOOK_WORKER: 'on',
  };
  // The compiled server, as `npm start` runs it: one process, so SIGKILL hits the server itself.
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: REPO,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  await waitForHttp(`http://127.0.0.1:${port}/health`, child, 90_000, 'semreg', 200);
  return child;
}

async function post(url: string, body: unknown): Promise<{ status: number; json: any }> {
  const { status, text } = await requestJson(url, 'POST', body);
  let json: any = {};
  try {
    json = JSON.parse(text);
  } catch {
    // an answer without JSON (a proxy's error page) counts by its status only
  }
  return { status, json };
}

async function main(): Promise<void> {
  const raw = new Command()
    .name('bench:events')
    .option('--promotions <n>', 'alias promotions', '1000')
    .option('--webhooks <n>', 'webhooks (one receiver each)', '5')
    .option('--no-kill', 'do not kill -9 the server halfway')
    .parse()
    .opts<{ promotions: string; webhooks: string; kill: boolean }>();
  const promotions = Number(raw.promotions);
  const webhookCount = Number(raw.webhooks);

  const pgDir = fs.mkdtempSync(path.join(os.tmpdir(), 'semreg-bench-events-pg-'));
  fs.chmodSync(pgDir, 0o755);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'semreg-bench-events-'));
  const pg = await startEmbeddedPostgres(pgDir);
  const databaseUrl = await ensureDatabase(pg.url, 'semreg_bench_events');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const receivers = await Promise.all(Array.from({ length: webhookCount }, () => startReceiver()));
  let server = await startServer(databaseUrl, dataDir, port);

  try {
    const model = 'bench-events';
    await post(`${base}/api/2.0/mlflow/registered-models/create`, { name: model });
    for (let v = 0; v < 2; v += 1) {
      await post(`${base}/api/2.0/mlflow/model-versions/create`, {
        name: model,
        source: `mlflow-artifacts:/bench/${v}`,
      });
    }
    for (const [i, receiver] of receivers.entries()) {
      const res = await post(`${base}/api/2.0/mlflow/webhooks`, {
        name: `bench-${i}`,
        url: receiver.url,
        events: [{ entity: 'MODEL_VERSION_ALIAS', action: 'CREATED' }],
        secret: 'bench',
      });
      if (res.status !== 200) throw new Error(`webhook create: ${res.status} ${JSON.stringify(res.json)}`);
    }

    let acknowledged = 0;
    let failed = 0;
    const started = Date.now();
    for (let i = 0; i < promotions; i += 1) {
      if (raw.kill && i === Math.floor(promotions / 2)) {
        // kill -9 with deliveries still in the outbox, then start again on the same database.
        server.kill('SIGKILL');
        await new Promise((resolve) => server.once('exit', resolve));
        server = await startServer(databaseUrl, dataDir, port);
      }
      const res = await post(`${base}/api/models/${model}/promote`, {
        alias: 'champion',
        version: String((i % 2) + 1),
      }).catch(() => ({ status: 0, json: {} }));
      if (res.status === 200) acknowledged += 1;
      else failed += 1;
    }
    const promoteSeconds = (Date.now() - started) / 1000;

    const db = createDb(databaseUrl, 2);
    const committed = Number(
      (await db('events').where({ type: 'alias.set', model }).count('* as n').first())?.n ?? 0,
    );
    const expected = committed * webhookCount;
    const deadline = Date.now() + 120_000;
    const received = () => receivers.reduce((sum, r) => sum + r.deliveries.size, 0);
    while (received() < expected && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 200));
    const statuses = await db('webhook_deliveries').select('status').count('* as n').groupBy('status');
    await db.destroy();

    const latencies = receivers.flatMap((r) => r.latencies);
    const latency = latencyStats(latencies);
    const duplicates = receivers.reduce(
      (sum, r) => sum + [...r.deliveries.values()].filter((n) => n > 1).length,
      0,
    );
    const result = {
      promotions,
      webhooks: webhookCount,
      killed: raw.kill,
      acknowledged,
      failedRequests: failed,
      committedEvents: committed,
      expectedDeliveries: expected,
      receivedDistinct: received(),
      lost: expected - received(),
      duplicates,
      latencyMs: { p50: latency.p50, p99: latency.p99, max: Math.max(...latencies) },
      promotionsPerSecond: acknowledged / promoteSeconds,
      outbox: Object.fromEntries(statuses.map((s: any) => [s.status, Number(s.n)])),
      cpus: os.cpus().length,
      loadavg: os.loadavg(),
    };
    console.table({
      'promotions acknowledged': acknowledged,
      'events committed': committed,
      'deliveries expected': expected,
      'deliveries received (distinct)': result.receivedDistinct,
      lost: result.lost,
      'duplicates (at-least-once)': duplicates,
      'latency p50 ms': result.latencyMs.p50,
      'latency p99 ms': result.latencyMs.p99,
    });
    writeResult('events', result);
    if (result.lost !== 0) process.exitCode = 1;
  } finally {
    if (server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGINT');
      await exited;
    }
    await Promise.all(receivers.map((r) => r.close()));
    await pg.stop();
    fs.rmSync(pgDir, { recursive: true, force: true });
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
