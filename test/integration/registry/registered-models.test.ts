import { createTestApp, TestApp } from '../../helpers/test-app';
import { createModel, createVersion, MLFLOW_PREFIXES, uniqueName } from '../../helpers/mlflow';

describe.each(MLFLOW_PREFIXES)('registered models under %s', (prefix) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  describe('POST registered-models/create', () => {
    it('creates a model with tags and description and returns MLflow JSON', async () => {
      const name = uniqueName();
      const res = await t.http
        .post(`${prefix}/registered-models/create`)
        .send({ name, description: 'churn model', tags: [{ key: 'team', value: 'growth' }] })
        .expect(200);
      const model = res.body.registered_model;
      expect(model).toMatchObject({
        name,
        description: 'churn model',
        tags: [{ key: 'team', value: 'growth' }],
      });
      expect(typeof model.creation_timestamp).toBe('number');
      expect(model.creation_timestamp).toBeGreaterThan(1.6e12);
    });

    it('refuses a name with an unpaired surrogate instead of storing another name (U+FFFD)', async () => {
      const name = uniqueName();
      const res = await t.http
        .post(`${prefix}/registered-models/create`)
        .set('Content-Type', 'application/json')
        .send(`{"name": "${name}-\\ud800", "description": "\\ud83d\\ude00 paired is fine"}`)
        .expect(400);
      expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
      expect(res.body.message).toMatch(/unpaired UTF-16 surrogate/);
      await t.http
        .get(`${prefix}/registered-models/get`)
        .query({ name: `${name}-\ufffd` })
        .expect(404);
    });

    it('refuses a duplicate with 400 RESOURCE_ALREADY_EXISTS (not 409)', async () => {
      const name = await createModel(t);
      const res = await t.http.post(`${prefix}/registered-models/create`).send({ name }).expect(400);
      expect(res.body).toEqual({
        error_code: 'RESOURCE_ALREADY_EXISTS',
        message: `Registered Model (name=${name}) already exists.`,
      });
    });

    it.each([
      ['a/b', "'/'"],
      ['a:b', "':'"],
      ['..', "'..'"],
      ['x'.repeat(257), 'limit is 256'],
      ['churn%2Dv2', 'percent-encoded'],
    ])('refuses the name %s with INVALID_PARAMETER_VALUE', async (name, rule) => {
      const res = await t.http.post(`${prefix}/registered-models/create`).send({ name }).expect(400);
      expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
      expect(res.body.message).toContain(rule);
    });

    it('refuses a missing name naming the parameter', async () => {
      const res = await t.http.post(`${prefix}/registered-models/create`).send({}).expect(400);
      expect(res.body).toEqual({
        error_code: 'INVALID_PARAMETER_VALUE',
        message:
          "Missing value for required parameter 'name'. See the API docs for more information about request parameters.",
      });
    });

    it('refuses a text/plain body (CSRF defence) and malformed JSON', async () => {
      const plain = await t.http
        .post(`${prefix}/registered-models/create`)
        .set('Content-Type', 'text/plain')
        .send('{"name":"x"}')
        .expect(400);
      expect(plain.body.error_code).toBe('INVALID_PARAMETER_VALUE');
      const broken = await t.http
        .post(`${prefix}/registered-models/create`)
        .set('Content-Type', 'application/json')
        .send('{"name":')
        .expect(400);
      expect(broken.body.error_code).toBe('BAD_REQUEST');
    });
  });

  describe('GET registered-models/get', () => {
    it('answers 404 RESOURCE_DOES_NOT_EXIST with a JSON body for a missing model', async () => {
      const res = await t.http
        .get(`${prefix}/registered-models/get`)
        .query({ name: 'nope-nope' })
        .expect(404);
      expect(res.body).toEqual({
        error_code: 'RESOURCE_DOES_NOT_EXIST',
        message: 'Registered Model with name=nope-nope not found',
      });
    });

    it('lists latest_versions per stage and aliases', async () => {
      const name = await createModel(t);
      await createVersion(t, name);
      await createVersion(t, name);
      await t.http
        .post(`${prefix}/model-versions/transition-stage`)
        .send({ name, version: '1', stage: 'production', archive_existing_versions: false })
        .expect(200);
      await t.http
        .post(`${prefix}/registered-models/alias`)
        .send({ name, alias: 'champion', version: '1' })
        .expect(200);
      const res = await t.http.get(`${prefix}/registered-models/get`).query({ name }).expect(200);
      const model = res.body.registered_model;
      expect(model.aliases).toEqual([{ alias: 'champion', version: '1' }]);
      const latest = Object.fromEntries(model.latest_versions.map((v: any) => [v.current_stage, v.version]));
      expect(latest).toEqual({ None: '2', Production: '1' });
    });
  });

  describe('rename, update, delete', () => {
    it('renames a model; its versions move with it', async () => {
      const name = await createModel(t);
      await createVersion(t, name);
      const newName = uniqueName('renamed');
      const res = await t.http
        .post(`${prefix}/registered-models/rename`)
        .send({ name, new_name: newName })
        .expect(200);
      expect(res.body.registered_model.name).toBe(newName);
      const version = await t.http
        .get(`${prefix}/model-versions/get`)
        .query({ name: newName, version: '1' })
        .expect(200);
      expect(version.body.model_version.name).toBe(newName);
      await t.http.get(`${prefix}/registered-models/get`).query({ name }).expect(404);
    });

    it('refuses to rename onto an existing name', async () => {
      const a = await createModel(t);
      const b = await createModel(t);
      const res = await t.http
        .post(`${prefix}/registered-models/rename`)
        .send({ name: a, new_name: b })
        .expect(400);
      expect(res.body.error_code).toBe('RESOURCE_ALREADY_EXISTS');
    });

    it('updates the description with PATCH', async () => {
      const name = await createModel(t);
      const res = await t.http
        .patch(`${prefix}/registered-models/update`)
        .send({ name, description: 'new text' })
        .expect(200);
      expect(res.body.registered_model.description).toBe('new text');
    });

    it('deletes with a JSON body on DELETE; a re-created model starts again at version 1', async () => {
      const name = await createModel(t);
      await createVersion(t, name);
      await createVersion(t, name);
      expect(
        await t.http.delete(`${prefix}/registered-models/delete`).send({ name }).expect(200),
      ).toHaveProperty('body', {});
      await createModel(t, name);
      const version = await createVersion(t, name);
      expect(version.version).toBe('1');
    });
  });

  describe('tags', () => {
    it('sets, overwrites and deletes a tag', async () => {
      const name = await createModel(t);
      await t.http
        .post(`${prefix}/registered-models/set-tag`)
        .send({ name, key: 'k', value: 'v1' })
        .expect(200);
      await t.http
        .post(`${prefix}/registered-models/set-tag`)
        .send({ name, key: 'k', value: 'v2' })
        .expect(200);
      let res = await t.http.get(`${prefix}/registered-models/get`).query({ name }).expect(200);
      expect(res.body.registered_model.tags).toEqual([{ key: 'k', value: 'v2' }]);
      await t.http.delete(`${prefix}/registered-models/delete-tag`).send({ name, key: 'k' }).expect(200);
      res = await t.http.get(`${prefix}/registered-models/get`).query({ name }).expect(200);
      expect(res.body.registered_model.tags).toEqual([]);
    });

    it.each([['../x'], ['/abs'], ['a//b'], ['bad$key'], ['k'.repeat(251)]])(
      'refuses the tag key %s',
      async (key) => {
        const name = await createModel(t);
        const res = await t.http
          .post(`${prefix}/registered-models/set-tag`)
          .send({ name, key, value: 'v' })
          .expect(400);
        expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
      },
    );

    it('refuses a tag value over 100,000 characters and accepts one at the limit', async () => {
      const name = await createModel(t);
      await t.http
        .post(`${prefix}/registered-models/set-tag`)
        .send({ name, key: 'big', value: 'x'.repeat(100_000) })
        .expect(200);
      await t.http
        .post(`${prefix}/registered-models/set-tag`)
        .send({ name, key: 'big', value: 'x'.repeat(100_001) })
        .expect(400);
    });
  });
});

describe('DELETE RPCs', () => {
  it('also accept their fields from the query string', async () => {
    const t = await createTestApp();
    try {
      const name = await createModel(t);
      await t.http.delete('/api/2.0/mlflow/registered-models/delete').query({ name }).expect(200);
      await t.http.get('/api/2.0/mlflow/registered-models/get').query({ name }).expect(404);
    } finally {
      await t.close();
    }
  });
});
