import fs from 'node:fs';
import path from 'node:path';
import { UI_CONTENT_SECURITY_POLICY } from '../../src/http/ui';
import { createTestApp, type TestApp } from '../helpers/test-app';

/** src/http/ui.ts: the UI's files beside the API, without shadowing any API route. */
describe('GET / and /ui/… (the web UI)', () => {
  let t: TestApp;
  const assets = fs.readdirSync(path.resolve(__dirname, '../../dist/ui/assets'));
  const script = assets.find((name) => /^main-[A-Z0-9]+\.js$/.test(name))!;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it.each(['/', '/ui', '/ui/models', '/ui/models/churn/versions/3', '/ui/ci/jobs/42', '/ui/unknown/page'])(
    'answers %s with index.html, a strict CSP, nosniff and no-cache',
    async (url) => {
      const res = await t.http.get(url).expect(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['content-security-policy']).toBe(UI_CONTENT_SECURITY_POLICY);
      expect(res.headers['content-security-policy']).toContain("script-src 'self'");
      expect(res.headers['content-security-policy']).not.toContain('unsafe-inline');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.text).toContain(`/ui/assets/${script}`);
      expect(res.text).not.toMatch(/<script>|<style>|style="/);
    },
  );

  it('serves hashed assets as immutable, precompressed when the client accepts it', async () => {
    const plain = await t.http.get(`/ui/assets/${script}`).set('Accept-Encoding', 'identity').expect(200);
    expect(plain.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(plain.headers['x-content-type-options']).toBe('nosniff');
    expect(plain.headers['content-encoding']).toBeUndefined();
    const gzip = await t.http.get(`/ui/assets/${script}`).set('Accept-Encoding', 'gzip').expect(200);
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(gzip.headers.vary).toBe('Accept-Encoding');
    expect(gzip.text).toBe(plain.text);
    await t.http.head(`/ui/assets/${script}`).expect(200);
  });

  it.each([
    '/ui/assets/missing-ABC.js',
    '/ui/assets/..%2F..%2Fpackage.json',
    '/ui/assets/index.html',
    '/api/2.0/mlflow/no-such-thing',
    '/ajax-api/2.0/mlflow/no-such-thing',
    '/api/no-such-thing',
    '/UI/models',
    '/uix',
  ])('keeps the JSON 404 for %s', async (url) => {
    const res = await t.http.get(url);
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.error_code).toBe('ENDPOINT_NOT_FOUND');
  });

  it('leaves the API routes and the probes alone', async () => {
    await t.http.get('/health').expect(200);
    const res = await t.http.get('/api/2.0/mlflow/registered-models/search').expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['content-security-policy']).toBeUndefined();
  });

  it('answers only GET and HEAD: a POST to / stays the API 404', async () => {
    const res = await t.http.post('/').send({});
    expect(res.status).toBe(404);
    expect(res.body.error_code).toBe('ENDPOINT_NOT_FOUND');
  });
});

describe('the web UI with AUTH=on', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ AUTH: 'on', ADMIN_TOKEN: 'x'.repeat(40) });
  });
  afterAll(() => t.close());

  it('serves the page and its assets without a token, and the API still answers 401', async () => {
    const page = await t.http.get('/ui/models').expect(200);
    const script = /\/ui\/assets\/main-[A-Z0-9]+\.js/.exec(page.text)![0];
    await t.http.get(script).expect(200);
    const api = await t.http.get('/api/2.0/mlflow/registered-models/search');
    expect(api.status).toBe(401);
    const unknown = await t.http.get('/no/such/route');
    expect(unknown.status).toBe(401);
  });
});
