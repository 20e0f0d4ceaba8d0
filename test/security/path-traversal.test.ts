import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerClientErrorsWithJson } from '../../src/http/client-errors';
import { createTestApp, TestApp } from '../helpers/test-app';
import { Canaries } from './support';

/**
 * Issue 6 item 1: traversal vectors in every path-carrying endpoint (mlflow-compat.md §7 "Artifact paths").
 * Sent over a raw socket-level client (node:http), which — unlike supertest's URL handling — sends `..`,
 * `%2e`, backslashes and `//` exactly as written. Endpoints that are not mounted yet answer the JSON 404;
 * as they land, the same cases exercise them. Canaries outside the data directory prove nothing was read,
 * written or deleted.
 */
interface RawResponse {
  status: number;
  contentType: string;
  text: string;
}

let t: TestApp;
let server: http.Server;
let port: number;
let canaries: Canaries;
const texts: string[] = [];

function raw(
  method: string,
  path: string,
  body?: Buffer | string,
  contentType = 'application/octet-stream',
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = {};
    if (body !== undefined) {
      headers['Content-Type'] = contentType;
      headers['Content-Length'] = Buffer.byteLength(body);
    }
    const req = http.request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('latin1');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type'] ?? ''),
          text,
        }),
      );
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer to ${method} ${path} within 10 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

beforeAll(async () => {
  t = await createTestApp();
  canaries = new Canaries(t.config.artifactRoot);
  server = http.createServer(t.app);
  answerClientErrorsWithJson(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  await t.http.post('/api/2.0/mlflow/registered-models/create').send({ name: 'victim' }).expect(200);
});
afterAll(async () => {
  canaries.assertUntouched();
  for (const text of texts) expect(text).not.toContain(canaries.secret);
  canaries.cleanup();
  await new Promise((resolve) => server.close(resolve));
  await t.close();
});

function vectors(): string[] {
  const up = canaries.relativeFromRoot();
  return [
    '../x',
    './../x',
    'a/../b',
    '../../../../../../etc/passwd',
    `${up}/passwd`,
    `..%2F..%2F${encodeURIComponent(up)}%2Fpasswd`,
    '%2e%2e%2fx',
    '%2E%2E%2Fx',
    '%2e%2e/%2e%2e/%2e%2e/etc/passwd',
    '%252e%252e%252fx',
    '%25252e%25252e%25252fx',
    '%2%0952e%2%0952e/x',
    '..%5cx',
    '..\\x',
    '..%255cx',
    '/etc/passwd',
    '%2fetc%2fpasswd',
    '%2Fetc%2Fpasswd%00.jpg',
    'a%00b',
    'C:/Windows/win.ini',
    'C:%5cWindows',
    '%5c%5c%3f%5cC:%5c',
    '\\\\?\\C:\\',
    'file:%2f%2fa%23%2f..%2f%2ftmp',
    '%c0%ae%c0%ae/%c0%ae%c0%ae/x',
    '%c0%af',
    '%e0%80%ae%e0%80%ae/x',
    '.%2e/x',
    'link-to-passwd',
    'link-to-outside/passwd',
    'link-to-outside/etc/shadow',
    'dangling-link',
    'link-to-outside/new-file',
  ];
}

/** Path-carrying endpoints: `{p}` is replaced by the vector (already URL-encoded as needed). */
interface Endpoint {
  method: string;
  template: string;
  body?: string;
  contentType?: string;
  /** Package paths live in the package's own namespace: a file named `link-to-passwd` there is just a name. */
  packageNamespace?: boolean;
  /** mpu/presigned decline with MLflow's documented 501 before looking at the path (mlflow-compat.md §2.3). */
  mayDecline?: boolean;
}

const ENDPOINTS: Endpoint[] = [
  ...['/api/2.0', '/ajax-api/2.0'].flatMap((base) => [
    { method: 'GET', template: `${base}/mlflow-artifacts/artifacts/{p}` },
    { method: 'PUT', template: `${base}/mlflow-artifacts/artifacts/{p}`, body: 'planted' },
    { method: 'DELETE', template: `${base}/mlflow-artifacts/artifacts/{p}` },
    { method: 'GET', template: `${base}/mlflow-artifacts/artifacts?path={p}` },
    {
      method: 'POST',
      template: `${base}/mlflow-artifacts/mpu/create/{p}`,
      body: '{"path":"x","num_parts":1}',
      contentType: 'application/json',
      mayDecline: true,
    },
    { method: 'GET', template: `${base}/mlflow-artifacts/presigned/{p}`, mayDecline: true },
    {
      method: 'GET',
      template: `${base}/mlflow/artifacts/list?run_id=0123456789abcdef0123456789abcdef&path={p}`,
    },
    {
      method: 'GET',
      template: `${base}/mlflow/get-artifact?run_id=0123456789abcdef0123456789abcdef&path={p}`,
    },
    { method: 'GET', template: `${base}/mlflow/model-versions/get-artifact?name=victim&version=1&path={p}` },
    { method: 'GET', template: `${base}/mlflow/logged-models/{p}` },
    { method: 'GET', template: `${base}/mlflow/runs/get?run_id={p}` },
  ]),
  { method: 'GET', template: '/api/downloads/victim/1/{p}?expires=9999999999&signature=00' },
  { method: 'PUT', template: '/api/packages/victim/1.0.0/{p}', body: 'planted', packageNamespace: true },
  { method: 'GET', template: '/api/packages/victim/1.0.0/{p}', packageNamespace: true },
  { method: 'DELETE', template: '/api/packages/victim/1.0.0/{p}', packageNamespace: true },
  {
    method: 'PUT',
    template: '/api/v4/projects/1/packages/generic/victim/1.0.0/{p}',
    body: 'planted',
    packageNamespace: true,
  },
  { method: 'GET', template: '/api/v4/projects/1/packages/generic/victim/1.0.0/{p}', packageNamespace: true },
];

describe.each(ENDPOINTS.map((e) => [`${e.method} ${e.template}`, e] as const))('%s', (_label, endpoint) => {
  it('answers every traversal vector with a JSON 4xx and touches nothing outside the data directory', async () => {
    const failures: string[] = [];
    for (const vector of vectors().filter((v) => !(endpoint.packageNamespace && v.includes('link')))) {
      const res = await raw(
        endpoint.method,
        endpoint.template.replace('{p}', vector),
        endpoint.body,
        endpoint.contentType,
      );
      texts.push(res.text);
      const json = res.contentType.startsWith('application/json') && /"error_code"/.test(res.text);
      const declined = endpoint.mayDecline && res.status === 501 && /"NOT_IMPLEMENTED"/.test(res.text);
      if (declined) continue;
      if (res.status < 400 || res.status >= 500 || !json || /<script/i.test(res.text)) {
        failures.push(`${vector} → ${res.status} ${res.contentType} ${res.text.slice(0, 160)}`);
      }
    }
    expect(failures).toEqual([]);
    canaries.assertUntouched();
  });
});

describe('multipart package uploads', () => {
  it('refuses traversal in the part filename (the filename is the stored path) and stores nothing outside', async () => {
    const failures: string[] = [];
    // As written: the server decodes until stable.
    const names = vectors().filter((v) => !v.includes('link'));
    for (const filename of [...names, '../../x', '..\\..\\x', '/abs/x', 'C:\\x', 'a/../../x']) {
      const res = await t.http
        .post('/api/packages/victim/9.9.9')
        .attach('file', Buffer.from('planted'), { filename });
      texts.push(res.text ?? '');
      if (res.status === 201 || res.status === 200) {
        const stored = (res.body.files ?? []).map((f: { path: string }) => f.path);
        if (stored.some((p: string) => p.includes('..') || p.startsWith('/') || p.includes('\\')))
          failures.push(`${filename} stored as ${stored}`);
      } else if (res.status >= 500 || !/^application\/json/.test(res.headers['content-type'] ?? '')) {
        failures.push(`${JSON.stringify(filename)} → ${res.status} ${(res.text ?? '').slice(0, 160)}`);
      }
    }
    expect(failures).toEqual([]);
    canaries.assertUntouched();
  });
});
