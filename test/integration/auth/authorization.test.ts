import crypto from 'node:crypto';
import { MLFLOW_PREFIXES, uniqueName } from '../../helpers/mlflow';
import { createTestApp, TestApp } from '../../helpers/test-app';
import { bearer, mintScopeTokens, mintToken } from '../../helpers/tokens';

describe('AUTH=on: scopes and model patterns', () => {
  let t: TestApp;
  let read: string;
  let write: string;
  let admin: string;

  beforeAll(async () => {
    t = await createTestApp({ AUTH: 'on' });
    ({ read, write, admin } = await mintScopeTokens(t));
  });
  afterAll(() => t.close());

  const createModel = (prefix: string, token: string, name: string) =>
    t.http.post(`${prefix}/registered-models/create`).set(bearer(token)).send({ name });

  describe.each(MLFLOW_PREFIXES)('under %s', (prefix) => {
    it('lets a read token read and refuses its writes with 403 PERMISSION_DENIED', async () => {
      await t.http.get(`${prefix}/registered-models/search`).set(bearer(read)).expect(200);
      const res = await createModel(prefix, read, uniqueName());
      expect(res.status).toBe(403);
      expect(res.body).toEqual({
        error_code: 'PERMISSION_DENIED',
        message: expect.stringMatching(/scope 'write'/),
      });
    });

    it('lets a read token call the POST RPCs that only read (searches, get-latest-versions)', async () => {
      const name = uniqueName();
      await createModel(prefix, write, name).expect(200);
      await t.http
        .post(`${prefix}/registered-models/get-latest-versions`)
        .set(bearer(read))
        .send({ name })
        .expect(200);
      await t.http
        .post(`${prefix}/runs/search`)
        .set(bearer(read))
        .send({ experiment_ids: ['0'] })
        .expect(200);
      await t.http.post(`${prefix}/experiments/search`).set(bearer(read)).send({}).expect(200);
      await t.http
        .post(`${prefix}/logged-models/search`)
        .set(bearer(read))
        .send({ experiment_ids: ['0'] })
        .expect(200);
      expect(
        (await t.http.post(`${prefix}/runs/create`).set(bearer(read)).send({ experiment_id: '0' })).status,
      ).toBe(403);
    });

    it('lets write and admin tokens write', async () => {
      await createModel(prefix, write, uniqueName()).expect(200);
      await createModel(prefix, admin, uniqueName()).expect(200);
    });
  });

  it('refuses token management to write tokens and allows it to admin tokens', async () => {
    expect((await t.http.get('/api/tokens').set(bearer(write))).status).toBe(403);
    expect((await t.http.post('/api/tokens').set(bearer(write)).send({ scope: 'admin' })).status).toBe(403);
    await t.http.get('/api/tokens').set(bearer(admin)).expect(200);
  });

  describe('a write token restricted to churn-*', () => {
    let churn: string;
    let allowed: string;
    let other: string;

    beforeAll(async () => {
      churn = await mintToken(t, 'write', { models: ['churn-*'] });
      allowed = `churn-${uniqueName()}`;
      other = uniqueName('fraud');
      await createModel('/api/2.0/mlflow', admin, other).expect(200);
    });

    it.each(MLFLOW_PREFIXES)('sees only matching models in searches (%s)', async (prefix) => {
      const mine = `churn-${uniqueName()}`;
      await createModel(prefix, churn, mine).expect(200);
      await t.http
        .post(`${prefix}/model-versions/create`)
        .set(bearer(admin))
        .send({ name: other, source: 'mlflow-artifacts:/0/o' })
        .expect(200);
      await t.http
        .post(`${prefix}/model-versions/create`)
        .set(bearer(churn))
        .send({ name: mine, source: 'mlflow-artifacts:/0/m' })
        .expect(200);
      const models = await t.http
        .get(`${prefix}/registered-models/search`)
        .query({ max_results: 1000 })
        .set(bearer(churn))
        .expect(200);
      const names: string[] = models.body.registered_models.map((m: { name: string }) => m.name);
      expect(names).toContain(mine);
      expect(names.every((name) => name.startsWith('churn-'))).toBe(true);
      const versions = await t.http.get(`${prefix}/model-versions/search`).set(bearer(churn)).expect(200);
      const versionNames: string[] = versions.body.model_versions.map((v: { name: string }) => v.name);
      expect(versionNames).toContain(mine);
      expect(versionNames).not.toContain(other);
      const all = await t.http.get(`${prefix}/model-versions/search`).set(bearer(admin)).expect(200);
      expect(all.body.model_versions.map((v: { name: string }) => v.name)).toContain(other);
    });

    it('may not register a version that reads another model, even one named like a logged model', async () => {
      const mine = `churn-${uniqueName()}`;
      await createModel('/api/2.0/mlflow', churn, mine).expect(200);
      const loggedModelLike = `m-${crypto.randomBytes(16).toString('hex')}`;
      for (const hidden of [other, loggedModelLike]) {
        if (hidden === loggedModelLike) await createModel('/api/2.0/mlflow', admin, hidden).expect(200);
        await t.http
          .post('/api/2.0/mlflow/model-versions/create')
          .set(bearer(admin))
          .send({ name: hidden, source: 'mlflow-artifacts:/0/hidden' })
          .expect(200);
        const res = await t.http
          .post('/api/2.0/mlflow/model-versions/create')
          .set(bearer(churn))
          .send({ name: mine, source: `models:/${hidden}/1` });
        expect(res.status).toBe(403);
      }
    });

    it('may promote a matching model and is refused promotion of other models', async () => {
      const name = `churn-${uniqueName()}`;
      await createModel('/api/2.0/mlflow', churn, name).expect(200);
      await t.http
        .post('/api/2.0/mlflow/model-versions/create')
        .set(bearer(churn))
        .send({ name, source: 'mlflow-artifacts:/0/x' })
        .expect(200);
      await t.http
        .post(`/api/models/${name}/promote`)
        .set(bearer(churn))
        .send({ alias: 'champion', version: '1' })
        .expect(200);
      expect(
        (
          await t.http
            .post(`/api/models/${other}/promote`)
            .set(bearer(churn))
            .send({ alias: 'champion', version: '1' })
        ).status,
      ).toBe(403);
    });

    it.each(MLFLOW_PREFIXES)('creates and reads models matching the pattern (%s)', async (prefix) => {
      const name = `churn-${uniqueName()}`;
      await createModel(prefix, churn, name).expect(200);
      await t.http.get(`${prefix}/registered-models/get`).query({ name }).set(bearer(churn)).expect(200);
    });

    it.each(MLFLOW_PREFIXES)('is refused other models on writes and named reads (%s)', async (prefix) => {
      expect((await createModel(prefix, churn, uniqueName('fraud'))).status).toBe(403);
      const get = await t.http
        .get(`${prefix}/registered-models/get`)
        .query({ name: other })
        .set(bearer(churn));
      expect(get.status).toBe(403);
      expect(get.body.message).toContain(other);
      const tag = await t.http
        .post(`${prefix}/registered-models/set-tag`)
        .set(bearer(churn))
        .send({ name: other, key: 'k', value: 'v' });
      expect(tag.status).toBe(403);
    });

    it('cannot rename a model it owns to a name outside its patterns', async () => {
      await createModel('/api/2.0/mlflow', churn, allowed).expect(200);
      const res = await t.http
        .post('/api/2.0/mlflow/registered-models/rename')
        .set(bearer(churn))
        .send({ name: allowed, new_name: uniqueName('fraud') });
      expect(res.status).toBe(403);
    });

    it('matches the whole name, not a prefix or substring', async () => {
      expect((await createModel('/api/2.0/mlflow', churn, `x-churn-${uniqueName()}`)).status).toBe(403);
      expect((await createModel('/api/2.0/mlflow', churn, 'churn')).status).toBe(403);
    });

    it('may still search (reads that name no model)', async () => {
      await t.http.get('/api/2.0/mlflow/registered-models/search').set(bearer(churn)).expect(200);
    });

    it('is refused writes on routes that do not name a model (deny by default)', async () => {
      const targets: Array<[string, string]> = [
        ['post', '/api/2.0/mlflow/experiments/create'],
        ['post', '/ajax-api/2.0/mlflow/runs/create'],
        ['put', '/api/2.0/mlflow-artifacts/artifacts/0/x.txt'],
        ['delete', '/api/2.0/mlflow-artifacts/artifacts/0/x.txt'],
        ['post', '/some/future/route'],
        ['post', '/API/2.0/mlflow/registered-models/create'],
      ];
      for (const [method, path] of targets) {
        const request = (t.http as any)[method](path);
        const res = await request.set(bearer(churn)).send({ name: `churn-${uniqueName()}` });
        expect({ path, status: res.status }).toEqual({ path, status: 403 });
      }
    });

    it('may call a POST table route that names a matching model', async () => {
      const res = await t.http
        .post('/api/2.0/mlflow/registered-models/get-latest-versions')
        .set(bearer(churn))
        .send({ name: `churn-${uniqueName()}` });
      expect(res.status).not.toBe(403);
    });
  });

  it('a read token restricted to a pattern reads only matching models by name', async () => {
    const name = `team-a-${uniqueName()}`;
    const otherName = uniqueName('team-b');
    await createModel('/api/2.0/mlflow', admin, name).expect(200);
    await createModel('/api/2.0/mlflow', admin, otherName).expect(200);
    const token = await mintToken(t, 'read', { models: ['team-a-*', 'exact?name'] });
    await t.http.get('/api/2.0/mlflow/registered-models/get').query({ name }).set(bearer(token)).expect(200);
    expect(
      (
        await t.http
          .get('/api/2.0/mlflow/registered-models/get')
          .query({ name: otherName })
          .set(bearer(token))
      ).status,
    ).toBe(403);
  });

  it('refuses a revoked token from the moment it is revoked', async () => {
    const created = await t.http.post('/api/tokens').set(bearer(admin)).send({ scope: 'read' }).expect(201);
    await t.http.get('/version').set(bearer(created.body.token)).expect(200);
    await t.http.delete(`/api/tokens/${created.body.id}`).set(bearer(admin)).expect(200);
    expect((await t.http.get('/version').set(bearer(created.body.token))).status).toBe(401);
  });
});
