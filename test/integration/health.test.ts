import supertest from 'supertest';
import { createApp } from '../../src/app';
import { createDb } from '../../src/db/knex';
import { createTestApp, TestApp } from '../helpers/test-app';

describe('probes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('GET /health answers 200 OK when the database answers', async () => {
    const res = await t.http.get('/health').expect(200);
    expect(res.text).toBe('OK');
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
  });

  it('GET /version answers the package version as plain text', async () => {
    const res = await t.http.get('/version').expect(200);
    expect(res.text).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('GET /api/openapi.json serves the OpenAPI 3.1 document', async () => {
    const res = await t.http.get('/api/openapi.json').expect(200);
    expect(res.body.openapi).toBe('3.1.0');
    expect(res.body.paths['/api/2.0/mlflow/registered-models/create']).toBeDefined();
  });

  it('answers an unknown route with JSON 404 ENDPOINT_NOT_FOUND', async () => {
    const res = await t.http.get('/api/2.0/mlflow/no-such-thing').expect(404);
    expect(res.body.error_code).toBe('ENDPOINT_NOT_FOUND');
  });

  it('routes case-sensitively: /API/2.0/... is not a route', async () => {
    const res = await t.http.get('/API/2.0/mlflow/registered-models/get?name=x').expect(404);
    expect(res.body.error_code).toBe('ENDPOINT_NOT_FOUND');
  });
});

describe('/health with the database down', () => {
  it('answers 503', async () => {
    const t = await createTestApp();
    await t.db.destroy();
    // A pool pointed at a closed port stands in for a stopped server.
    (t.ctx as { db: unknown }).db = createDb('postgres://x:y@127.0.0.1:1/none');
    await supertest(createApp(t.ctx)).get('/health').expect(503);
    await t.ctx.db.destroy();
  });
});

describe('MLflow calls with the database down', () => {
  it('answer 503 TEMPORARILY_UNAVAILABLE (which the MLflow client retries), never a bare 500', async () => {
    const t = await createTestApp();
    await t.db.destroy();
    (t.ctx as { db: unknown }).db = createDb('postgres://x:y@127.0.0.1:1/none');
    const res = await supertest(createApp(t.ctx))
      .post('/api/2.0/mlflow/registered-models/create')
      .send({ name: 'while-down' })
      .expect(503);
    expect(res.body.error_code).toBe('TEMPORARILY_UNAVAILABLE');
    await t.ctx.db.destroy();
  });
});

describe.each(['/api/3.0/mlflow', '/ajax-api/3.0/mlflow'])('GET %s/server-info', (prefix) => {
  it('answers the probe MLflow 3.12+ clients (and its web UI, under /ajax-api) send, with multipart off', async () => {
    const t = await createTestApp();
    try {
      const res = await t.http.get(`${prefix}/server-info`).expect(200);
      expect(res.body).toEqual({ store_type: null, workspaces_enabled: false });
    } finally {
      await t.close();
    }
  });
});

describe('malformed percent-encoding in a path parameter', () => {
  it('is a 400 INVALID_PARAMETER_VALUE, not a 500', async () => {
    const t = await createTestApp();
    try {
      const res = await t.http.get('/api/2.0/mlflow/logged-models/%E0%A4%A').expect(400);
      expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    } finally {
      await t.close();
    }
  });
});
