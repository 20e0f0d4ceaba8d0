import crypto from 'node:crypto';
import { SeaweedFs, startSeaweedFs } from '../helpers/seaweedfs';
import { freshDatabaseUrl, ServerProcess, startServer } from '../helpers/server-process';

/**
 * Issue 12: the object store goes away under load and comes back. While it is down every upload and
 * download is answered 503 TEMPORARILY_UNAVAILABLE with Retry-After (never a 500, never a hang); once it is
 * back semreg serves again without a restart, and every upload it acknowledged is there, byte for byte.
 */
const sha256 = (data: Buffer) => crypto.createHash('sha256').update(data).digest('hex');

let store: SeaweedFs;
let server: ServerProcess;

beforeAll(async () => {
  store = await startSeaweedFs();
  const bucket = await store.newBucket('outage');
  server = await startServer({ databaseUrl: await freshDatabaseUrl(), env: store.env(bucket, 'semreg') });
});
afterAll(async () => {
  await server?.stop();
  await store?.stop();
});

it('answers 503 with Retry-After while SeaweedFS is down, recovers without a restart, and loses no acknowledged upload', async () => {
  const acknowledged = new Map<string, string>();
  const statuses = new Map<number, number>();
  let retryAfterMissing = 0;
  let running = true;
  let counter = 0;

  const client = async () => {
    while (running) {
      counter += 1;
      const key = `1/load/artifacts/file-${counter}.bin`;
      const body = crypto.randomBytes(64 * 1024 + (counter % 7) * 1000);
      const res = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${key}`, {
        method: 'PUT',
        body,
        headers: { 'Content-Type': 'application/octet-stream' },
        signal: AbortSignal.timeout(30_000),
      });
      await res.arrayBuffer();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status === 200) acknowledged.set(key, sha256(body));
      if (res.status === 503 && !res.headers.get('retry-after')) retryAfterMissing += 1;
    }
  };
  const load = Promise.all(Array.from({ length: 8 }, client));
  const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  await settle(1500);
  const beforeOutage = acknowledged.size;
  expect(beforeOutage).toBeGreaterThan(0);
  await store.kill();
  await settle(3000);

  // While it is down, reads fail the same way.
  const read = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/1/load/artifacts/file-1.bin`);
  expect(read.status).toBe(503);
  expect(((await read.json()) as { error_code: string }).error_code).toBe('TEMPORARILY_UNAVAILABLE');
  expect(read.headers.get('retry-after')).toBe('5');
  expect((await fetch(`${server.url}/ready`)).status).toBe(503);

  const duringOutage = acknowledged.size;
  await store.restart();
  // Uploads succeed again through the same semreg process.
  const deadline = Date.now() + 60_000;
  while (acknowledged.size < duringOutage + 20 && Date.now() < deadline) await settle(200);
  running = false;
  await load;

  expect(acknowledged.size).toBeGreaterThanOrEqual(duringOutage + 20);
  expect(statuses.get(503) ?? 0).toBeGreaterThan(0);
  expect([...statuses.keys()].sort()).toEqual([200, 503]);
  expect(retryAfterMissing).toBe(0);
  expect((await fetch(`${server.url}/ready`)).status).toBe(200);

  for (const [key, digest] of acknowledged) {
    const res = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${key}`);
    expect({ key, status: res.status }).toEqual({ key, status: 200 });
    expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(digest);
  }
  console.info(`acknowledged ${acknowledged.size} uploads; answers: ${JSON.stringify([...statuses])}`);
});
