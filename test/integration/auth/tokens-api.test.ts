import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { bootstrapAdminToken } from '../../../src/auth/bootstrap-admin';
import { hashSecret } from '../../../src/auth/token-secret';
import { createTestApp, TestApp } from '../../helpers/test-app';
import { bearer, mintToken } from '../../helpers/tokens';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../../..');

describe('/api/tokens', () => {
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    t = await createTestApp({ AUTH: 'on' });
    admin = await mintToken(t, 'admin');
  });
  afterAll(() => t.close());

  it('POST creates a token (201) whose secret is shown once and stored only as a SHA-256', async () => {
    const expiresAt = Date.now() + 86_400_000;
    const res = await t.http
      .post('/api/tokens')
      .set(bearer(admin))
      .send({ scope: 'write', models: ['churn-*'], expires_at: expiresAt, description: 'CI for churn' })
      .expect(201);
    expect(res.body).toEqual({
      token: expect.stringMatching(/^srg_[A-Za-z0-9_-]{43}$/),
      id: expect.any(String),
      scope: 'write',
      models: ['churn-*'],
      expires_at: expiresAt,
      created_at: expect.any(Number),
      description: 'CI for churn',
    });
    const row = await t.db('tokens').where({ id: res.body.id }).first();
    expect(row.secret_sha256).toBe(hashSecret(res.body.token));
    expect(JSON.stringify(row)).not.toContain(res.body.token);
  });

  it('accepts an ISO 8601 expiry', async () => {
    const res = await t.http
      .post('/api/tokens')
      .set(bearer(admin))
      .send({ scope: 'read', expires_at: '2099-01-02T03:04:05Z' })
      .expect(201);
    expect(res.body.expires_at).toBe(Date.parse('2099-01-02T03:04:05Z'));
  });

  it('GET lists tokens without secrets; DELETE revokes', async () => {
    const created = await t.http
      .post('/api/tokens')
      .set(bearer(admin))
      .send({ scope: 'read', description: 'to list' })
      .expect(201);
    const list = await t.http.get('/api/tokens').set(bearer(admin)).expect(200);
    const listed = list.body.tokens.find((token: { id: string }) => token.id === created.body.id);
    expect(listed).toEqual({
      id: created.body.id,
      scope: 'read',
      models: [],
      created_at: expect.any(Number),
      description: 'to list',
    });
    expect(JSON.stringify(list.body)).not.toContain(created.body.token);
    expect(JSON.stringify(list.body)).not.toContain('sha256');

    await t.http.delete(`/api/tokens/${created.body.id}`).set(bearer(admin)).expect(200, {});
    const after = await t.http.get('/api/tokens').set(bearer(admin)).expect(200);
    expect(after.body.tokens.map((token: { id: string }) => token.id)).not.toContain(created.body.id);
    expect((await t.http.get('/version').set(bearer(created.body.token))).status).toBe(401);
  });

  it('pages with max_results and page_token', async () => {
    for (let i = 0; i < 3; i += 1) await mintToken(t, 'read');
    const first = await t.http.get('/api/tokens').query({ max_results: 2 }).set(bearer(admin)).expect(200);
    expect(first.body.tokens).toHaveLength(2);
    const second = await t.http
      .get('/api/tokens')
      .query({ max_results: 2, page_token: first.body.next_page_token })
      .set(bearer(admin))
      .expect(200);
    expect(second.body.tokens[0].id).not.toBe(first.body.tokens[0].id);
  });

  it('DELETE of an unknown id → 404 RESOURCE_DOES_NOT_EXIST', async () => {
    for (const id of ['999999', 'abc', '-1']) {
      const res = await t.http.delete(`/api/tokens/${id}`).set(bearer(admin));
      expect(res.status).toBe(404);
      expect(res.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    }
  });

  it.each([
    [{ scope: 'root' }, 'scope'],
    [{}, 'scope'],
    [{ scope: 'admin', models: ['churn-*'] }, 'admin token cannot be restricted'],
    [{ scope: 'read', expires_at: Date.now() - 1000 }, 'future'],
    [{ scope: 'read', expires_at: 'tomorrow' }, 'expires_at'],
    [{ scope: 'read', models: ['a/b'] }, 'pattern'],
    [{ scope: 'read', models: [''] }, 'models'],
    [{ scope: 'read', description: 'x'.repeat(1001) }, 'description'],
    [{ scope: 'read', secret: 'chosen' }, 'secret'],
  ])('refuses %j with 400 naming %s', async (body, what) => {
    const res = await t.http.post('/api/tokens').set(bearer(admin)).send(body);
    expect(res.status).toBe(400);
    expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(res.body.message).toContain(what);
  });

  it('refuses a non-JSON body', async () => {
    const res = await t.http
      .post('/api/tokens')
      .set(bearer(admin))
      .set('Content-Type', 'text/plain')
      .send('{"scope":"admin"}');
    expect(res.status).toBe(400);
  });
});

describe('first admin token at start', () => {
  let t: TestApp;
  afterEach(() => t.close());

  it('stores ADMIN_TOKEN hashed and accepts it, once', async () => {
    const secret = 'a-long-admin-token-from-the-environment';
    t = await createTestApp({ AUTH: 'on', ADMIN_TOKEN: secret });
    await bootstrapAdminToken(t.ctx);
    await bootstrapAdminToken(t.ctx);
    const rows = await t.db('tokens').where({ scope: 'admin' });
    expect(rows).toHaveLength(1);
    expect(rows[0].secret_sha256).toBe(hashSecret(secret));
    await t.http.get('/api/tokens').set(bearer(secret)).expect(200);
  });

  it('keeps a revoked ADMIN_TOKEN revoked across restarts', async () => {
    const secret = 'another-long-admin-token-value';
    t = await createTestApp({ AUTH: 'on', ADMIN_TOKEN: secret });
    await bootstrapAdminToken(t.ctx);
    await t.db('tokens').update({ revoked: true });
    await bootstrapAdminToken(t.ctx);
    expect((await t.http.get('/api/tokens').set(bearer(secret))).status).toBe(401);
  });

  it('refuses a short ADMIN_TOKEN', async () => {
    t = await createTestApp({ AUTH: 'on', ADMIN_TOKEN: 'short' });
    await expect(bootstrapAdminToken(t.ctx)).rejects.toThrow(/at least 16/);
  });

  it('generates and logs one admin token when AUTH=on and none exists', async () => {
    t = await createTestApp({ AUTH: 'on' });
    const logged: Array<Record<string, unknown>> = [];
    const log = Object.assign(Object.create(t.ctx.log), {
      isLevelEnabled: () => true,
      warn: (fields: Record<string, unknown>) => logged.push(fields),
    });
    await Promise.all([bootstrapAdminToken({ ...t.ctx, log }), bootstrapAdminToken({ ...t.ctx, log })]);
    await bootstrapAdminToken({ ...t.ctx, log });
    expect(logged).toHaveLength(1);
    const secret = logged[0].adminToken as string;
    await t.http.get('/api/tokens').set(bearer(secret)).expect(200);
  });

  it('generates nothing when auth is off', async () => {
    t = await createTestApp();
    await bootstrapAdminToken(t.ctx);
    expect(await t.db('tokens').count({ n: '*' })).toEqual([{ n: 0 }]);
  });
});

describe('npm run token (CLI)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ AUTH: 'on' });
  });
  afterAll(() => t.close());

  const cli = (args: string[]) =>
    run(path.join(root, 'node_modules/.bin/tsx'), ['src/cli/token.ts', ...args], {
      cwd: root,
      env: {
        ...process.env,
        DATABASE_URL: (t.db.client.config.connection as { connectionString: string }).connectionString,
      },
    });

  it('creates a token, prints only the secret on stdout, and the token works', async () => {
    const { stdout, stderr } = await cli([
      'create',
      '--scope',
      'write',
      '--models',
      'churn-*,fraud-?',
      '--expires-in',
      '30d',
      '--description',
      'from the CLI',
    ]);
    const secret = stdout.trim();
    expect(secret).toMatch(/^srg_[A-Za-z0-9_-]{43}$/);
    expect(stderr).toMatch(/scope write, models churn-\*, fraud-\?/);
    const row = await t
      .db('tokens')
      .where({ secret_sha256: hashSecret(secret) })
      .first();
    expect(row.models).toEqual(['churn-*', 'fraud-?']);
    expect(Number(row.expires_at) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    await t.http.get('/version').set(bearer(secret)).expect(200);
  }, 60_000);

  it('refuses a bad scope and a bad duration with a message and exit code 1', async () => {
    await expect(cli(['create', '--scope', 'root'])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('scope'),
    });
    await expect(cli(['create', '--scope', 'read', '--expires-in', 'soon'])).rejects.toMatchObject({
      code: 1,
    });
  }, 60_000);
});
