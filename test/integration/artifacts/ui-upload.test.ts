import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestApp, TestApp } from '../../helpers/test-app';
import { bearer, mintScopeTokens } from '../../helpers/tokens';
import { Canaries } from '../../security/support';

/**
 * `POST /ajax-api/2.0/mlflow/upload-artifact`: the web UI's small-file upload into a run's artifacts, with
 * the reference server's checks and words (mlflow/server/handlers.py `upload_artifact_handler`), streamed
 * through the same store as the proxy PUT (size and sha256 recorded).
 */
const URL = '/ajax-api/2.0/mlflow/upload-artifact';
let t: TestApp;
let canaries: Canaries;
let runId: string;

beforeAll(async () => {
  t = await createTestApp();
  canaries = new Canaries(t.config.artifactRoot);
  const run = await t.http
    .post('/api/2.0/mlflow/runs/create')
    .send({ experiment_id: '0', start_time: Date.now() })
    .expect(200);
  runId = run.body.run.info.run_id;
});
afterAll(() => t.close());

describe('POST /ajax-api/2.0/mlflow/upload-artifact', () => {
  it('stores the raw body, of any content type, under the run and serves it back', async () => {
    await t.http
      .post(URL)
      .query({ run_uuid: runId, path: 'notes/hello.txt' })
      .set('Content-Type', 'text/plain')
      .send('hello world')
      .expect(200, {});
    const got = await t.http
      .get('/get-artifact')
      .query({ run_uuid: runId, path: 'notes/hello.txt' })
      .expect(200);
    expect(got.text).toBe('hello world');
    const listed = await t.http
      .get('/api/2.0/mlflow/artifacts/list')
      .query({ run_id: runId, path: 'notes' })
      .expect(200);
    expect(listed.body.files).toEqual([{ path: 'notes/hello.txt', is_dir: false, file_size: 11 }]);
    const row = await t
      .db('stored_files')
      .where({ key: `0/${runId}/artifacts/notes/hello.txt` })
      .first();
    expect(row.sha256).toBe(createHash('sha256').update('hello world').digest('hex'));
  });

  it.each([
    ['no run_uuid', {}, 'Request must specify run_uuid.'],
    ['no path', { run_uuid: 'RUN' }, 'Request must specify path.'],
    ['an empty path', { run_uuid: 'RUN', path: '' }, 'Request must specify path.'],
    ['no data', { run_uuid: 'RUN', path: 'empty.txt' }, 'Request must specify data.'],
  ])('refuses %s in the reference words', async (_what, query, message) => {
    const q = Object.fromEntries(Object.entries(query).map(([k, v]) => [k, v === 'RUN' ? runId : v]));
    const res = await t.http.post(URL).query(q).expect(400);
    expect(res.body).toEqual({ error_code: 'INVALID_PARAMETER_VALUE', message });
  });

  it.each(['../test.txt', '%2e%2e/x', '/etc/passwd', 'a/../../b'])(
    'refuses the path %s and writes nothing',
    async (path) => {
      const res = await t.http.post(URL).query({ run_uuid: runId, path }).send('x').expect(400);
      expect(res.body.message).toBe('Invalid path');
      canaries.assertUntouched();
    },
  );

  it('refuses a body past 10 MB (declared or streamed) and keeps nothing', async () => {
    const big = Buffer.alloc(10 * 1024 * 1024 + 1, 1);
    const res = await t.http
      .post(URL)
      .query({ run_uuid: runId, path: 'big.bin' })
      .set('Content-Type', 'application/octet-stream')
      .send(big)
      .expect(400);
    expect(res.body.message).toBe('Artifact size is too large. Max size is 10MB.');
    expect(
      await t
        .db('stored_files')
        .where({ key: `0/${runId}/artifacts/big.bin` })
        .first(),
    ).toBeUndefined();
  });

  it('answers 404 for an unknown run', async () => {
    const res = await t.http.post(URL).query({ run_uuid: 'nope', path: 'a.txt' }).send('x').expect(404);
    expect(res.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });
});

describe('POST /ajax-api/2.0/mlflow/upload-artifact with AUTH=on', () => {
  let a: TestApp;
  let tokens: { read: string; write: string; admin: string };
  let run: string;
  beforeAll(async () => {
    a = await createTestApp({ AUTH: 'on' });
    tokens = await mintScopeTokens(a);
    const created = await a.http
      .post('/api/2.0/mlflow/runs/create')
      .set(bearer(tokens.write))
      .send({ experiment_id: '0' })
      .expect(200);
    run = created.body.run.info.run_id;
  });
  afterAll(() => a.close());

  it('refuses no token and a read token before reading the body, and stores nothing', async () => {
    const upload = () => a.http.post(URL).query({ run_uuid: run, path: 'x.txt' }).send('x');
    expect((await upload().expect(401)).body.error_code).toBe('UNAUTHENTICATED');
    expect((await upload().set(bearer(tokens.read)).expect(403)).body.error_code).toBe('PERMISSION_DENIED');
    expect(
      await a
        .db('stored_files')
        .where({ key: `0/${run}/artifacts/x.txt` })
        .first(),
    ).toBeUndefined();
    await upload().set(bearer(tokens.write)).expect(200, {});
  });

  it('keeps nothing of a body the client stops sending half-way', async () => {
    const server = a.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      await new Promise<void>((resolve) => {
        const req = http.request({
          port,
          host: '127.0.0.1',
          method: 'POST',
          path: `${URL}?run_uuid=${run}&path=half.bin`,
          headers: { ...bearer(tokens.write), 'Content-Length': '1000' },
        });
        req.on('error', () => resolve());
        req.write(Buffer.alloc(500), () => setTimeout(() => (req.destroy(), resolve()), 200));
      });
      // The store discards the partial file once it sees the disconnect.
      for (let i = 0; i < 50; i++) {
        if (
          !(await a
            .db('stored_files')
            .where({ key: `0/${run}/artifacts/half.bin` })
            .first())
        )
          break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(
        await a
          .db('stored_files')
          .where({ key: `0/${run}/artifacts/half.bin` })
          .first(),
      ).toBeUndefined();
      await a.http
        .get('/get-artifact')
        .set(bearer(tokens.read))
        .query({ run_uuid: run, path: 'half.bin' })
        .expect(404);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
