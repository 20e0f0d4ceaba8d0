import crypto from 'node:crypto';
import { listen } from '../helpers/cli';
import { putArtifacts, uniqueName } from '../helpers/mlflow';
import { Nginx, startNginx } from '../helpers/nginx';
import { rawRequest, RawResponse } from '../helpers/raw-http';
import { createTestApp, TestApp } from '../helpers/test-app';

/**
 * Issue 17 item 2: `curl -I` or `curl -0` of a signed link killed the process (a `Trailer` header on a
 * response that cannot be chunked throws inside a stream callback), and nginx proxies with HTTP/1.0 by
 * default. Every route that streams a file answers GET over HTTP/1.1 and HTTP/1.0, HEAD and a byte range,
 * directly and behind a real nginx, with Content-Length and never a trailer; the server still answers after
 * each request.
 */
const BYTES = crypto.randomBytes(300_000);
const SHA256 = crypto.createHash('sha256').update(BYTES).digest('hex');

let t: TestApp;
let server: { url: string; close(): Promise<void> };
let port: number;
let nginx: Nginx;
const routes: Array<[string, string]> = [];

beforeAll(async () => {
  t = await createTestApp({ SIGNING_SECRET: 'streaming-routes-secret' });
  server = await listen(t.app);
  port = Number(new URL(server.url).port);
  nginx = await startNginx(port);

  const run = await t.http.post('/api/2.0/mlflow/runs/create').send({ experiment_id: '0' }).expect(200);
  const runId: string = run.body.run.info.run_id;
  await putArtifacts(t, `0/${runId}/artifacts`, { 'data.bin': BYTES });
  const logged = await t.http
    .post('/api/2.0/mlflow/logged-models')
    .send({ experiment_id: '0', name: 'streamed' })
    .expect(200);
  const loggedDir = String(logged.body.model.info.artifact_uri).replace('mlflow-artifacts:/', '');
  await putArtifacts(t, loggedDir, { 'model.bin': BYTES });

  const fromRun = uniqueName('stream-run');
  await t.http.post('/api/2.0/mlflow/registered-models/create').send({ name: fromRun }).expect(200);
  await t.http
    .post('/api/2.0/mlflow/model-versions/create')
    .send({ name: fromRun, source: `runs:/${runId}`, run_id: runId })
    .expect(200);
  const pkg = uniqueName('stream-pkg');
  await t.http.put(`/api/packages/${pkg}/1.0.0/weights.bin`).send(BYTES).expect(201);
  const links = await t.http.get(`/api/models/${pkg}/download-uris`).expect(200);
  const link = new URL(links.body['weights.bin']);

  routes.push(
    ['artifact proxy', `/api/2.0/mlflow-artifacts/artifacts/0/${runId}/artifacts/data.bin`],
    ['artifact proxy (ajax)', `/ajax-api/2.0/mlflow-artifacts/artifacts/0/${runId}/artifacts/data.bin`],
    ['logged-model file', `/api/2.0/mlflow-artifacts/artifacts/${loggedDir}/model.bin`],
    [
      'logged-model file preview (UI)',
      `/ajax-api/2.0/mlflow/logged-models/${logged.body.model.info.model_id}/artifacts/files?artifact_file_path=model.bin`,
    ],
    ['get-artifact', `/get-artifact?run_uuid=${runId}&path=data.bin`],
    ['model-versions/get-artifact', `/model-versions/get-artifact?name=${fromRun}&version=1&path=data.bin`],
    ['package', `/api/packages/${pkg}/1.0.0/weights.bin`],
    ['GitLab path', `/api/v4/projects/7/packages/generic/${pkg}/1.0.0/weights.bin`],
    ['signed link', link.pathname + link.search],
  );
});

afterAll(async () => {
  await nginx?.stop();
  await server?.close();
  await t?.close();
});

type Mode = 'GET' | 'HEAD' | 'RANGE';
const MODES: Array<[Mode, '1.0' | '1.1']> = [
  ['GET', '1.1'],
  ['GET', '1.0'],
  ['HEAD', '1.1'],
  ['HEAD', '1.0'],
  ['RANGE', '1.1'],
  ['RANGE', '1.0'],
];

function check(mode: Mode, res: RawResponse): void {
  expect(res.headers['transfer-encoding']).toBeUndefined();
  expect(res.headers.trailer).toBeUndefined();
  expect(res.trailers).toEqual({});
  expect(res.headers['x-checksum-sha256']).toBe(SHA256);
  if (mode === 'RANGE') {
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes 100-199/${BYTES.length}`);
    expect(res.headers['content-length']).toBe('100');
    expect(res.body.equals(BYTES.subarray(100, 200))).toBe(true);
    return;
  }
  expect(res.status).toBe(200);
  expect(res.headers['content-length']).toBe(String(BYTES.length));
  if (mode === 'HEAD') expect(res.body.length).toBe(0);
  else expect(res.body.equals(BYTES)).toBe(true);
}

describe.each([
  ['directly', () => port],
  ['behind nginx (proxy_http_version 1.0)', () => nginx.port],
])('file downloads %s', (_via, portOf) => {
  it.each(MODES)(
    'answer %s over HTTP/%s on every streaming route, and the server lives on',
    async (mode, version) => {
      expect(routes).toHaveLength(9);
      for (const [name, path] of routes) {
        const res = await rawRequest(portOf(), {
          method: mode === 'HEAD' ? 'HEAD' : 'GET',
          path,
          httpVersion: version,
          headers: mode === 'RANGE' ? { Range: 'bytes=100-199' } : {},
        });
        try {
          check(mode, res);
        } catch (err) {
          throw new Error(`${name} (${mode}, HTTP/${version}): ${(err as Error).message}`);
        }
        const health = await rawRequest(port, { method: 'GET', path: '/health', httpVersion: '1.1' });
        expect(health.status).toBe(200);
      }
    },
  );
});

it('answers an unsatisfiable range with 416 and the file size, on every route', async () => {
  for (const [name, path] of routes) {
    const res = await rawRequest(port, {
      method: 'GET',
      path,
      httpVersion: '1.0',
      headers: { Range: `bytes=${BYTES.length}-` },
    });
    expect({ name, status: res.status }).toEqual({ name, status: 416 });
    expect(res.headers['content-range']).toBe(`bytes */${BYTES.length}`);
    expect(JSON.parse(res.body.toString()).error_code).toBe('INVALID_PARAMETER_VALUE');
  }
});
