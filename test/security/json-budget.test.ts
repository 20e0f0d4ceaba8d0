import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestApp, TestApp } from '../helpers/test-app';
import { uniqueName } from '../helpers/mlflow';

/**
 * JSON bodies are parsed in memory, so the app holds at most MAX_JSON_INFLIGHT_BYTES of them at once
 * (src/http/middleware/json-body.ts). Here the budget is 100 kB and a request that has sent only part of its
 * 80 kB body holds its share, so a second one of the same size must wait its turn: a JSON 503 with
 * Retry-After (which the MLflow client retries), not a crash, and nothing of it stored.
 */
const BUDGET = 100_000;
const BODY_BYTES = 80_000;

let t: TestApp;
let server: http.Server;
let port: number;

beforeAll(async () => {
  t = await createTestApp({ MAX_JSON_INFLIGHT_BYTES: String(BUDGET) });
  server = http.createServer(t.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await t.close();
});

/** A create-experiment body of at least `bytes` bytes, padded with 4000-character tags (the limit is 5000). */
function experimentBody(name: string, bytes: number): Buffer {
  const tags = Array.from({ length: Math.ceil(bytes / 4000) }, (_v, i) => ({
    key: `pad${i}`,
    value: 'x'.repeat(4000),
  }));
  return Buffer.from(JSON.stringify({ name, tags }));
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Starts a POST with a declared length; the caller writes the body (all of it or part of it). */
function startPost(path: string, length: number): { req: http.ClientRequest; answer: Promise<Answer> } {
  const req = http.request({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json', 'content-length': String(length) },
  });
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
  });
  return { req, answer };
}

function post(path: string, body: Buffer): Promise<Answer> {
  const { req, answer } = startPost(path, body.length);
  req.end(body);
  return answer;
}

async function experimentExists(name: string): Promise<boolean> {
  const res = await t.http.get('/api/2.0/mlflow/experiments/get-by-name').query({ experiment_name: name });
  return res.status === 200;
}

describe('JSON bodies in flight', () => {
  it('answers 503 with Retry-After while the budget is held, and accepts the same request once it is free', async () => {
    const slowName = uniqueName('slow');
    const slowBody = experimentBody(slowName, BODY_BYTES);
    expect(slowBody.length).toBeLessThan(BUDGET);
    expect(2 * slowBody.length).toBeGreaterThan(BUDGET);
    const slow = startPost('/api/2.0/mlflow/experiments/create', slowBody.length);
    slow.req.write(slowBody.subarray(0, 1000));
    // Let the server reserve the slow request's share before the second one arrives.
    await new Promise((resolve) => setTimeout(resolve, 200));

    const refusedName = uniqueName('refused');
    const refused = await post('/api/2.0/mlflow/experiments/create', experimentBody(refusedName, BODY_BYTES));
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.headers['content-type']).toMatch(/application\/json/);
    expect(JSON.parse(refused.body)).toMatchObject({ error_code: 'TEMPORARILY_UNAVAILABLE' });
    expect(await experimentExists(refusedName)).toBe(false);

    // A small request fits beside the slow one.
    const small = await post(
      '/api/2.0/mlflow/experiments/create',
      Buffer.from(JSON.stringify({ name: uniqueName('small') })),
    );
    expect(small.status).toBe(200);

    slow.req.end(slowBody.subarray(1000));
    expect((await slow.answer).status).toBe(200);
    expect(await experimentExists(slowName)).toBe(true);

    const retried = await post('/api/2.0/mlflow/experiments/create', experimentBody(refusedName, BODY_BYTES));
    expect(retried.status).toBe(200);
    expect(await experimentExists(refusedName)).toBe(true);
  });

  it('lets one body larger than the whole budget through when nothing else is in flight', async () => {
    const name = uniqueName('large');
    const res = await post('/api/2.0/mlflow/experiments/create', experimentBody(name, 3 * BUDGET));
    expect(res.status).toBe(200);
  });

  it('gives the share back when a client disconnects half-way', async () => {
    const cut = startPost('/api/2.0/mlflow/experiments/create', experimentBody('cut', BODY_BYTES).length);
    cut.answer.catch(() => undefined);
    cut.req.write(Buffer.alloc(1000, 0x20));
    await new Promise((resolve) => setTimeout(resolve, 200));
    cut.req.destroy();
    await new Promise((resolve) => setTimeout(resolve, 200));

    const name = uniqueName('after-cut');
    const res = await post('/api/2.0/mlflow/experiments/create', experimentBody(name, BODY_BYTES));
    expect(res.status).toBe(200);
  });
});
