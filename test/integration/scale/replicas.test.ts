import crypto from 'node:crypto';
import http from 'node:http';
import { HeadObjectCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import pg from 'pg';
import { loadConfig } from '../../../src/config';
import { S3Store } from '../../../src/storage/s3-store';
import { runS3 } from '../../helpers/seaweedfs';
import { call, freshDatabaseUrl, ServerProcess, startServer } from '../../helpers/server-process';
import { startWebhookReceiver } from '../../helpers/webhook-receiver';

/**
 * Issue 12: stateless replicas. Two real semreg processes (stand-ins for two hosts) on one PostgreSQL and
 * one bucket, no shared local directory: whatever a request needs must be in the database or the bucket.
 */
const s3 = runS3();
const sha256 = (data: Buffer | string) => crypto.createHash('sha256').update(data).digest('hex');

let bucket: string;
let databaseUrl: string;
let a: ServerProcess;
let b: ServerProcess;

async function replica(): Promise<ServerProcess> {
  return startServer({
    databaseUrl,
    env: {
      ...s3.env(bucket, 'semreg'),
      SIGNING_SECRET: 'one-secret-for-all-replicas',
      WEBHOOK_WORKER: 'on',
      WEBHOOK_ALLOW_PRIVATE: 'on',
    },
  });
}

beforeAll(async () => {
  bucket = await s3.newBucket('replicas');
  databaseUrl = await freshDatabaseUrl();
  a = await replica();
  b = await replica();
}, 120_000);
afterAll(async () => {
  await Promise.all([a, b].map((server) => server?.stop().catch(() => undefined)));
});

async function put(url: string, path: string, body: Buffer): Promise<Response> {
  return fetch(`${url}${path}`, {
    method: 'PUT',
    body,
    headers: { 'Content-Type': 'application/octet-stream', 'X-Checksum-Sha256': sha256(body) },
  });
}

it('serves through either replica what was uploaded through the other, signed links included', async () => {
  const artifact = crypto.randomBytes(200_000);
  const packageFile = crypto.randomBytes(300_000);
  expect(
    (await put(a.url, '/api/2.0/mlflow-artifacts/artifacts/1/r1/artifacts/a.bin', artifact)).status,
  ).toBe(200);
  expect((await put(b.url, '/api/packages/shared-model/1.0.0/model.onnx', packageFile)).status).toBe(201);

  const fromB = await fetch(`${b.url}/api/2.0/mlflow-artifacts/artifacts/1/r1/artifacts/a.bin`);
  expect(fromB.headers.get('x-checksum-sha256')).toBe(sha256(artifact));
  expect(Buffer.from(await fromB.arrayBuffer())).toEqual(artifact);
  const fromA = await fetch(`${a.url}/api/packages/shared-model/1.0.0/model.onnx`);
  expect(Buffer.from(await fromA.arrayBuffer())).toEqual(packageFile);

  // A link signed by A verifies on B: one SIGNING_SECRET, nothing in process memory.
  const links = await call(a.url, 'GET', '/api/models/shared-model/download-uris');
  const link = new URL(links.body['model.onnx']);
  const viaB = await fetch(`${b.url}${link.pathname}${link.search}`);
  expect(viaB.status).toBe(200);
  expect(Buffer.from(await viaB.arrayBuffer())).toEqual(packageFile);
});

it('gives 20 clients × 100 version creates spread over both replicas exactly versions 1..2000', async () => {
  const model = 'contended';
  expect(
    (await call(a.url, 'POST', '/api/2.0/mlflow/registered-models/create', { name: model })).status,
  ).toBe(200);
  const source = 'mlflow-artifacts:/1/r1/artifacts';
  const versions: number[] = [];
  await Promise.all(
    Array.from({ length: 20 }, async (_, client) => {
      for (let i = 0; i < 100; i += 1) {
        const server = (client + i) % 2 === 0 ? a : b;
        const res = await call(server.url, 'POST', '/api/2.0/mlflow/model-versions/create', {
          name: model,
          source,
        });
        if (res.status !== 200) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
        versions.push(Number(res.body.model_version.version));
      }
    }),
  );
  expect(versions.sort((x, y) => x - y)).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
}, 300_000);

it('delivers a webhook subscribed once exactly once per event with both replicas delivering', async () => {
  const receiver = await startWebhookReceiver();
  try {
    const model = 'hooked';
    await call(a.url, 'POST', '/api/2.0/mlflow/registered-models/create', { name: model });
    const hook = await call(b.url, 'POST', '/api/2.0/mlflow/webhooks', {
      name: 'once',
      url: receiver.url,
      events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }],
      secret: 'webhook-secret',
    });
    expect(hook.status).toBe(200);
    for (let i = 0; i < 30; i += 1) {
      const server = i % 2 === 0 ? a : b;
      await call(server.url, 'POST', '/api/2.0/mlflow/model-versions/create', {
        name: model,
        source: 'mlflow-artifacts:/1/r1/artifacts',
      });
    }
    const deadline = Date.now() + 30_000;
    while (receiver.received.length < 30 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 200));
    // Long enough for a second delivery of anything to show up.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const versions = receiver.received.map((hit) => hit.json.data.version).sort((x, y) => x - y);
    expect(versions).toEqual(Array.from({ length: 30 }, (_, i) => String(i + 1)));
    const ids = receiver.received.map((hit) => hit.headers['x-mlflow-delivery-id']);
    expect(new Set(ids).size).toBe(30);
  } finally {
    await receiver.close();
  }
}, 90_000);

it('leaves no object and no row when a replica is killed in the middle of a 1 GiB upload, and the other keeps serving', async () => {
  const key = '1/r-killed/artifacts/huge.bin';
  const sent = await new Promise<number>((resolve) => {
    let bytes = 0;
    const req = http.request(`${a.url}/api/2.0/mlflow-artifacts/artifacts/${key}`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(1024 ** 3) },
    });
    req.on('error', () => resolve(bytes));
    const chunk = crypto.randomBytes(1024 * 1024);
    const write = () => {
      while (bytes < 1024 ** 3) {
        bytes += chunk.length;
        // Past several parts (8 MiB each) of the multipart upload: kill the replica that receives it.
        if (bytes === 200 * 1024 * 1024) void a.kill9();
        if (!req.write(chunk)) return void req.once('drain', write);
      }
      req.end();
    };
    write();
  });
  expect(sent).toBeLessThan(1024 ** 3);

  const client = s3.client();
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const head = client.send(new HeadObjectCommand({ Bucket: bucket, Key: `semreg/${key}` }));
    await expect(head).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    const rows = await db.query('SELECT 1 FROM stored_files WHERE key = $1', [key]);
    expect(rows.rowCount).toBe(0);

    // B keeps serving, reads and writes.
    const small = crypto.randomBytes(1000);
    expect(
      (await put(b.url, '/api/2.0/mlflow-artifacts/artifacts/1/r2/artifacts/after.bin', small)).status,
    ).toBe(200);
    const back = await fetch(`${b.url}/api/2.0/mlflow-artifacts/artifacts/1/r2/artifacts/after.bin`);
    expect(Buffer.from(await back.arrayBuffer())).toEqual(small);

    // The killed upload's parts are an unfinished multipart upload, which the hourly sweep aborts.
    const pending = async () =>
      (await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: `semreg/${key}` })))
        .Uploads ?? [];
    expect(await pending()).toHaveLength(1);
    const store = S3Store.open(loadConfig(s3.env(bucket, 'semreg')).artifactsDestination!);
    await store.cleanTemporaryFiles(0);
    store.close();
    expect(await pending()).toHaveLength(0);
  } finally {
    await db.end();
    client.destroy();
  }
}, 180_000);
