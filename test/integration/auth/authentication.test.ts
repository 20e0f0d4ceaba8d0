import { createTestApp, TestApp } from '../../helpers/test-app';
import { basic, bearer, mintToken } from '../../helpers/tokens';

describe('AUTH=on: authentication on every route', () => {
  let t: TestApp;
  let readToken: string;

  beforeAll(async () => {
    t = await createTestApp({ AUTH: 'on' });
    readToken = await mintToken(t, 'read');
  });
  afterAll(() => t.close());

  // Known routes, their mirrors and the variants a bypass would try: case, trailing and double slashes,
  // encoded characters, unknown and semreg-own routes, HEAD and OPTIONS.
  const guarded: Array<[string, string]> = [
    ['GET', '/version'],
    ['GET', '/api/openapi.json'],
    ['GET', '/api/2.0/mlflow/registered-models/search'],
    ['GET', '/ajax-api/2.0/mlflow/registered-models/search'],
    ['POST', '/api/2.0/mlflow/registered-models/create'],
    ['POST', '/ajax-api/2.0/mlflow/registered-models/create'],
    ['GET', '/API/2.0/mlflow/registered-models/search'],
    ['GET', '/api/2.0/mlflow/registered-models/search/'],
    ['GET', '//api/2.0/mlflow/registered-models/search'],
    ['GET', '/api/2.0//mlflow/registered-models/search'],
    ['GET', '/api/2.0/mlflow/registered-models/%73earch'],
    ['HEAD', '/api/2.0/mlflow/registered-models/search'],
    ['OPTIONS', '/api/2.0/mlflow/registered-models/create'],
    ['GET', '/api/2.0/mlflow-artifacts/artifacts/0/x'],
    ['PUT', '/api/2.0/mlflow-artifacts/artifacts/0/x'],
    ['GET', '/api/packages/m/1.0.0/f'],
    ['PUT', '/api/packages/m/1.0.0/f'],
    ['PUT', '/api/v4/projects/1/packages/generic/m/1.0.0/f'],
    ['GET', '/api/tokens'],
    ['GET', '/api/ci/jobs/1'],
    ['GET', '/no/such/route'],
    ['DELETE', '/api/3.0/mlflow/traces'],
    ['POST', '/v1/traces'],
    ['GET', '/health/'],
    ['GET', '/HEALTH'],
    ['POST', '/health'],
    ['POST', '/api/downloads/m/1/f'],
    ['GET', '/API/downloads/m/1/f'],
    ['GET', '/api/models/m/download-uris'],
  ];

  it.each(guarded)(
    '%s %s without a token → 401 UNAUTHENTICATED with WWW-Authenticate',
    async (method, path) => {
      const res = await t.http[method.toLowerCase() as 'get'](path);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Basic realm=/);
      if (method !== 'HEAD')
        expect(res.body).toEqual({ error_code: 'UNAUTHENTICATED', message: expect.any(String) });
    },
  );

  it('leaves GET and HEAD /health open', async () => {
    await t.http.get('/health').expect(200);
    await t.http.head('/health').expect(200);
  });

  it('lets signed download links through to their own signature check (403 for a bad one, not 401)', async () => {
    const res = await t.http
      .get('/api/downloads/m/1/MLmodel')
      .query({ expires: '9999999999', signature: 'bad' });
    expect(res.status).toBe(403);
    expect(res.body.error_code).toBe('PERMISSION_DENIED');
  });

  it('answers 404 ENDPOINT_NOT_FOUND for an unknown route once authenticated (401 comes first)', async () => {
    const res = await t.http.get('/no/such/route').set(bearer(readToken));
    expect(res.status).toBe(404);
    expect(res.body.error_code).toBe('ENDPOINT_NOT_FOUND');
  });

  it.each([
    ['Bearer', (s: string) => bearer(s)],
    ['Basic (any user, token as password)', (s: string) => basic(s, 'whoever')],
    ['lower-case bearer scheme', (s: string) => ({ Authorization: `bearer ${s}` })],
    ['PRIVATE-TOKEN', (s: string) => ({ 'PRIVATE-TOKEN': s })],
    ['JOB-TOKEN', (s: string) => ({ 'JOB-TOKEN': s })],
    ['Deploy-Token', (s: string) => ({ 'Deploy-Token': s })],
  ])('accepts the token as %s', async (_name, headers) => {
    await t.http.get('/version').set(headers(readToken)).expect(200);
  });

  it.each([
    ['an unknown token', { Authorization: 'Bearer srg_thisisnotatokenthisisnotatokenthisisnotatoken' }],
    ['an empty bearer', { Authorization: 'Bearer ' }],
    ['Basic without a password', { Authorization: `Basic ${Buffer.from('user').toString('base64')}` }],
    ['Basic with an empty password', { Authorization: `Basic ${Buffer.from('user:').toString('base64')}` }],
    ['an unsupported scheme', { Authorization: 'Digest abc' }],
    ['a huge header', { Authorization: `Bearer ${'a'.repeat(4000)}` }],
  ])('refuses %s with 401', async (_name, headers) => {
    const res = await t.http.get('/version').set(headers);
    expect(res.status).toBe(401);
    expect(res.body.error_code).toBe('UNAUTHENTICATED');
  });

  it('refuses two different tokens in one request', async () => {
    const other = await mintToken(t, 'admin');
    const res = await t.http.get('/version').set({ ...bearer(readToken), 'PRIVATE-TOKEN': other });
    expect(res.status).toBe(401);
  });

  it('refuses two Authorization headers with different tokens, whichever comes first', async () => {
    const other = await mintToken(t, 'admin');
    for (const order of [
      [readToken, other],
      [other, readToken],
    ]) {
      // Node keeps only the first Authorization header in `req.headers`; superagent sends an array as lines.
      const headers = order.map((token) => `Bearer ${token}`) as unknown as string;
      const res = await t.http.get('/version').set('Authorization', headers);
      expect(res.status).toBe(401);
      expect(res.body.message).toMatch(/two different tokens/);
    }
  });

  it('accepts the same token sent twice', async () => {
    await t.http
      .get('/version')
      .set({ ...bearer(readToken), 'JOB-TOKEN': readToken })
      .expect(200);
  });

  it('refuses an expired token', async () => {
    const token = await mintToken(t, 'read', { expiresAt: Date.now() + 1500 });
    await t.http.get('/version').set(bearer(token)).expect(200);
    await new Promise((resolve) => setTimeout(resolve, 1600));
    const res = await t.http.get('/version').set(bearer(token));
    expect(res.status).toBe(401);
    expect(res.body.message).toMatch(/expired/);
  });

  it('never echoes the token in an error', async () => {
    const res = await t.http.get('/version').set(bearer('srg_secret-value-that-must-not-leak-anywhere-0000'));
    expect(JSON.stringify(res.body)).not.toContain('secret-value');
  });

  it('records when a token was last used', async () => {
    const token = await mintToken(t, 'read');
    await t.http.get('/version').set(bearer(token)).expect(200);
    const rows = await t.db('tokens').whereNotNull('last_used_at').select('id');
    expect(rows.length).toBeGreaterThan(0);
  });
});

describe('AUTH off (the default)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('serves every route without a token, like `mlflow server`', async () => {
    await t.http.get('/version').expect(200);
    await t.http.get('/api/2.0/mlflow/registered-models/search').expect(200);
  });

  it('ignores a bad token rather than refusing', async () => {
    await t.http.get('/version').set(bearer('nonsense')).expect(200);
  });
});
