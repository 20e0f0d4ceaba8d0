import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestApp, TestApp } from '../../helpers/test-app';
import { bearer, mintToken } from '../../helpers/tokens';

/**
 * How /mlflow/ serves an MLflow UI build (a stand-in folder shaped like MLflow's `server/js/build`): the page,
 * its files through the path guard, and every other path under /mlflow/ handed to the app without the prefix,
 * with the same authentication.
 */
function fakeBuild(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlflow-ui-build-'));
  fs.mkdirSync(path.join(dir, 'static', 'js'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'index.html'),
    '<script src="static-files/static/js/main.abc.js"></script>',
  );
  fs.writeFileSync(path.join(dir, 'static', 'js', 'main.abc.js'), 'console.log(1)');
  fs.writeFileSync(path.join(dir, '.secret'), 'not for the web');
  return dir;
}

describe('GET /mlflow/ with MLFLOW_UI_DIR', () => {
  let t: TestApp;
  let build: string;
  beforeAll(async () => {
    build = fakeBuild();
    t = await createTestApp({ MLFLOW_UI_DIR: build });
  });
  afterAll(async () => {
    await t.close();
    fs.rmSync(build, { recursive: true, force: true });
  });

  it('redirects /mlflow to /mlflow/ and serves the page uncached', async () => {
    expect((await t.http.get('/mlflow').expect(301)).headers.location).toBe('/mlflow/');
    const page = await t.http.get('/mlflow/').expect(200).expect('Content-Type', /html/);
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.text).toContain('static-files/static/js/main.abc.js');
  });

  it('serves bundle files as immutable, and nothing outside the build or hidden in it', async () => {
    const script = await t.http.get('/mlflow/static-files/static/js/main.abc.js').expect(200);
    expect(script.headers['cache-control']).toContain('immutable');
    for (const probe of [
      '/mlflow/static-files/%2e%2e/%2e%2e/etc/passwd',
      '/mlflow/static-files/..%2f..%2fetc%2fpasswd',
      '/mlflow/static-files/.secret',
      '/mlflow/static-files/static/js/missing.js',
    ]) {
      const res = await t.http.get(probe);
      expect([probe, res.status >= 400 && res.status < 500]).toEqual([probe, true]);
      expect(res.body.error_code).toBeDefined();
      expect(res.text).not.toContain('not for the web');
    }
  });

  it('answers the API under the prefix exactly as without it', async () => {
    const direct = await t.http.get('/ajax-api/2.0/mlflow/experiments/get').query({ experiment_id: '0' });
    const prefixed = await t.http
      .get('/mlflow/ajax-api/2.0/mlflow/experiments/get')
      .query({ experiment_id: '0' });
    expect(prefixed.status).toBe(200);
    expect(prefixed.body).toEqual(direct.body);
    const graphql = await t.http
      .post('/mlflow/graphql')
      .send({ query: '{ test(inputString: "x") { output } }' });
    expect(graphql.body).toEqual({ data: { test: { output: 'x' } }, errors: null });
    const unknown = await t.http.get('/mlflow/nothing-here');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error_code).toBe('ENDPOINT_NOT_FOUND');
  });
});

describe('GET /mlflow/ with AUTH=on', () => {
  let t: TestApp;
  let build: string;
  beforeAll(async () => {
    build = fakeBuild();
    t = await createTestApp({ MLFLOW_UI_DIR: build, AUTH: 'on' });
  });
  afterAll(async () => {
    await t.close();
    fs.rmSync(build, { recursive: true, force: true });
  });

  it('serves the page to anyone but the data under the prefix only with a token', async () => {
    await t.http.get('/mlflow/').expect(200);
    await t.http.get('/mlflow/static-files/static/js/main.abc.js').expect(200);
    const anonymous = await t.http
      .get('/mlflow/ajax-api/2.0/mlflow/experiments/get')
      .query({ experiment_id: '0' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toContain('Basic');
    const token = bearer(await mintToken(t, 'read'));
    await t.http
      .get('/mlflow/ajax-api/2.0/mlflow/experiments/get')
      .query({ experiment_id: '0' })
      .set(token)
      .expect(200);
    const write = await t.http
      .post('/mlflow/ajax-api/2.0/mlflow/experiments/create')
      .set(token)
      .send({ name: 'nope' });
    expect(write.status).toBe(403);
  });
});

describe('GET /mlflow/ without a UI', () => {
  it.each([['off'], [path.join(os.tmpdir(), 'no-such-mlflow-build')]])(
    'MLFLOW_UI_DIR=%s: 404 with the way to turn it on',
    async (dir) => {
      const t = await createTestApp({ MLFLOW_UI_DIR: dir });
      try {
        const res = await t.http.get('/mlflow/').expect(404);
        expect(res.body).toEqual({
          error_code: 'ENDPOINT_NOT_FOUND',
          message: expect.stringContaining('MLFLOW_UI_DIR'),
        });
      } finally {
        await t.close();
      }
    },
  );
});
