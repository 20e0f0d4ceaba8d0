import { bootstrapAdminToken } from '../../src/auth/bootstrap-admin';
import { loadOpenApiDocument } from '../../src/openapi';
import { createTestApp, TestApp } from '../helpers/test-app';
import { uniqueName } from '../helpers/mlflow';
import { expectMlflowError } from './support';

/**
 * Issue 6 item 6 (mlflow-compat.md §7 "Routing and authorization tricks"): with AUTH=on, every documented
 * operation — and its case variants, trailing and double slashes, the `/ajax-api` mirror, HEAD/OPTIONS and
 * unknown routes — answers 401 without a token (deny by default), and a token outside its scope or model
 * pattern gets 403. Nothing may be written by a refused call.
 */
const ADMIN = 'admin-secret-for-the-security-suite-0123456789';

const SAMPLE: Record<string, string> = {
  model_id: 'm-0123456789abcdef0123456789abcdef',
  model: 'guarded',
  selector: '1.0.0',
  semver: '1.0.0',
  path: 'f.txt',
  tag_key: 'k',
  token_id: '1',
  job_id: '1',
  project_id: '1',
  webhook_id: '1',
  name: 'guarded',
  version: '1',
};

function documentedRequests(): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [template, item] of Object.entries(loadOpenApiDocument().paths)) {
    const path = template.replace(/\{([^}]+)\}/g, (_m, name: string) => SAMPLE[name] ?? 'x');
    for (const method of Object.keys(item)) {
      if (['get', 'post', 'put', 'patch', 'delete'].includes(method)) out.push([method.toUpperCase(), path]);
    }
  }
  return out;
}

function variants(path: string): string[] {
  return [
    path,
    path.toUpperCase(),
    path.replace(/api/, 'API'),
    `${path}/`,
    path.replace(/^\/([^/]+)\//, '/$1//'),
    `/${path}`,
    `${path}?x=1`,
  ];
}

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ AUTH: 'on', ADMIN_TOKEN: ADMIN });
  await bootstrapAdminToken(t.ctx); // what main.ts does at start with ADMIN_TOKEN
});
afterAll(async () => {
  await t.close();
});

async function token(scope: 'read' | 'write' | 'admin', models?: string[]): Promise<string> {
  const res = await t.http
    .post('/api/tokens')
    .set('Authorization', `Bearer ${ADMIN}`)
    .send({ scope, ...(models ? { models } : {}) });
  expect([200, 201]).toContain(res.status);
  return res.body.token as string;
}

it('refuses every documented operation and its path variants without a token (401, JSON)', async () => {
  const failures: string[] = [];
  const requests = documentedRequests();
  expect(requests.length).toBeGreaterThan(40);
  for (const [method, path] of requests) {
    for (const variant of variants(path)) {
      for (const m of [method, 'HEAD', 'OPTIONS']) {
        const req = t.http[m.toLowerCase() as 'get'](variant);
        const res =
          m === 'POST' || m === 'PATCH' || m === 'PUT' || m === 'DELETE'
            ? await req.send({ name: 'guarded' })
            : await req;
        // /health and /ready stay open to probes; signed download links take no token (the signature is
        // the credential, refused with 403).
        if (['/health', '/health?x=1', '/ready', '/ready?x=1'].includes(variant)) continue;
        const allowed = variant.includes('/downloads/') ? [401, 403] : [401];
        const jsonOk = m === 'HEAD' || /^application\/json/.test(res.headers['content-type'] ?? '');
        if (!allowed.includes(res.status) || !jsonOk) failures.push(`${m} ${variant} → ${res.status}`);
      }
    }
  }
  expect(failures).toEqual([]);
  expect(await t.db('registered_models').where({ name: 'guarded' })).toHaveLength(0);
});

it.each([
  ['GET', '/api/2.0/mlflow/nope'],
  ['POST', '/v1/traces'],
  ['GET', '/api/3.0/mlflow/server-info'],
  ['GET', '/version'],
  ['GET', '/api/openapi.json'],
  ['GET', '/ajax-api/2.0/mlflow/../mlflow/registered-models/search'],
  ['GET', '/%61pi/2.0/mlflow/registered-models/search'],
])('refuses %s %s without a token', async (method, path) => {
  const res = await t.http[method.toLowerCase() as 'get'](path);
  expectMlflowError(res, 401, 'UNAUTHENTICATED');
});

it.each([
  ['a malformed bearer', 'Bearer '],
  ['a wrong bearer', 'Bearer not-a-token'],
  ['an empty basic password', `Basic ${Buffer.from('admin:').toString('base64')}`],
  ['basic with no colon', `Basic ${Buffer.from('admin').toString('base64')}`],
  ['garbage', 'Negotiate abc'],
  ['a lower-case scheme with a wrong token', 'bearer x'],
])('refuses %s', async (_what, header) => {
  const res = await t.http
    .post('/api/2.0/mlflow/registered-models/create')
    .set('Authorization', header)
    .send({ name: uniqueName('nope') });
  expectMlflowError(res, 401, 'UNAUTHENTICATED');
});

it('lets /health through without a token', async () => {
  expect((await t.http.get('/health')).status).toBe(200);
});

describe('tokens outside their scope or model pattern', () => {
  it('a read token cannot write anywhere (403) but can read', async () => {
    const read = await token('read');
    for (const prefix of ['/api/2.0/mlflow', '/ajax-api/2.0/mlflow']) {
      const name = uniqueName('ro');
      const res = await t.http
        .post(`${prefix}/registered-models/create`)
        .set('Authorization', `Bearer ${read}`)
        .send({ name });
      expectMlflowError(res, 403, 'PERMISSION_DENIED');
      expect(await t.db('registered_models').where({ name })).toHaveLength(0);
      expect(
        (await t.http.get(`${prefix}/registered-models/search`).set('Authorization', `Bearer ${read}`))
          .status,
      ).toBe(200);
    }
    const tokens = await t.http
      .post('/api/tokens')
      .set('Authorization', `Bearer ${read}`)
      .send({ scope: 'admin' });
    expectMlflowError(tokens, 403, 'PERMISSION_DENIED');
  });

  it('a write token cannot mint tokens', async () => {
    const write = await token('write');
    expectMlflowError(
      await t.http.post('/api/tokens').set('Authorization', `Bearer ${write}`).send({ scope: 'admin' }),
      403,
      'PERMISSION_DENIED',
    );
    expectMlflowError(
      await t.http.get('/api/tokens').set('Authorization', `Bearer ${write}`),
      403,
      'PERMISSION_DENIED',
    );
  });

  it('a token restricted to churn-* cannot touch other models, whatever the path spelling or prefix', async () => {
    const churn = await token('write', ['churn-*']);
    const auth = { Authorization: `Bearer ${churn}` };
    for (const prefix of ['/api/2.0/mlflow', '/ajax-api/2.0/mlflow']) {
      const mine = uniqueName('churn');
      expect(
        (await t.http.post(`${prefix}/registered-models/create`).set(auth).send({ name: mine })).status,
      ).toBe(200);
      const other = uniqueName('fraud');
      expectMlflowError(
        await t.http.post(`${prefix}/registered-models/create`).set(auth).send({ name: other }),
        403,
        'PERMISSION_DENIED',
      );
      // Renaming out of the pattern, or into another team's name, is a write on that other name.
      expectMlflowError(
        await t.http
          .post(`${prefix}/registered-models/rename`)
          .set(auth)
          .send({ name: mine, new_name: uniqueName('fraud') }),
        403,
        'PERMISSION_DENIED',
      );
      expectMlflowError(
        await t.http
          .post(`${prefix}/model-versions/create`)
          .set(auth)
          .send({ name: other, source: 'mlflow-artifacts:/0/x' }),
        403,
        'PERMISSION_DENIED',
      );
      expect(await t.db('registered_models').where('name', 'like', 'fraud%')).toHaveLength(0);
    }
    // Routes that do not name a model (tracking writes) are refused to a model-restricted token's writes
    // only if the auth design says so; at minimum, package writes to another model are refused.
    const pkg = await t.http
      .put(`/api/packages/${uniqueName('fraud')}/1.0.0/f.txt`)
      .set(auth)
      .set('Content-Type', 'application/octet-stream')
      .send('x');
    expectMlflowError(pkg, 403, 'PERMISSION_DENIED');
  });
});
