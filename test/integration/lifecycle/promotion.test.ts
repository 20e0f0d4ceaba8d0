import { createTestApp, TestApp } from '../../helpers/test-app';
import { createModel, createVersion, uniqueName } from '../../helpers/mlflow';

/** Stage policies (PUT /api/policies) and compare-and-set promotion / rollback (semreg-api.md). */
describe('stage policy, promotion and rollback', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  async function modelWithVersions(count: number, tags: Record<string, string> = {}): Promise<string> {
    const name = await createModel(t, uniqueName('promo'));
    for (let i = 0; i < count; i += 1) await createVersion(t, name, tags);
    return name;
  }

  const promote = (name: string, body: Record<string, unknown>) =>
    t.http.post(`/api/models/${name}/promote`).send(body);
  const stageOf = async (name: string, version: number) =>
    (await t.http.get('/api/2.0/mlflow/model-versions/get').query({ name, version }).expect(200)).body
      .model_version.current_stage;

  describe('GET/PUT /api/policies', () => {
    it('starts with MLflow’s four stages and no rules, and stores a per-model override', async () => {
      const name = await modelWithVersions(1);
      const initial = await t.http.get('/api/policies').expect(200);
      expect(initial.body.default.stages.map((s: { name: string }) => s.name)).toEqual([
        'None',
        'Staging',
        'Production',
        'Archived',
      ]);
      const put = await t.http
        .put('/api/policies')
        .send({
          model: name,
          stages: [{ name: 'dev' }, { name: 'prod', capacity: 1 }],
          transitions: [{ from: 'dev', to: 'prod' }],
        })
        .expect(200);
      expect(put.body.policy.stages.map((s: { name: string }) => s.name)).toEqual(['None', 'dev', 'prod']);
      const after = await t.http.get('/api/policies').expect(200);
      expect(after.body.models[name].stages).toHaveLength(3);
      await t.http
        .put('/api/policies')
        .send({ model: name, reset: true, stages: [{ name: 'x' }], transitions: [] })
        .expect(200);
      expect((await t.http.get('/api/policies').expect(200)).body.models[name]).toBeUndefined();
    });

    it.each([
      [{ stages: [], transitions: [] }, 'stages'],
      [{ stages: [{ name: 'a' }, { name: 'A' }], transitions: [] }, 'listed twice'],
      [{ stages: [{ name: 'a', capacity: 0 }], transitions: [] }, 'capacity'],
      [{ stages: [{ name: 'a' }], transitions: [{ from: 'a', to: 'b' }] }, "unknown stage 'b'"],
      [{ stages: [{ name: '../x' }], transitions: [] }, 'Invalid stage name'],
    ])('refuses an invalid policy %j', async (body, message) => {
      const res = await t.http.put('/api/policies').send(body).expect(400);
      expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
      expect(res.body.message).toContain(message);
    });

    it('404s for an unknown model', async () => {
      await t.http
        .put('/api/policies')
        .send({ model: 'nope-nope', stages: [{ name: 'a' }], transitions: [] })
        .expect(404);
    });
  });

  describe('POST /api/models/<name>/promote', () => {
    it('moves a version into a stage by semver and reports the previous holder', async () => {
      const name = await modelWithVersions(2);
      const first = await promote(name, { stage: 'Production', semver: '1.0.0' }).expect(200);
      expect(first.body).toMatchObject({
        model_version: { version: '1', current_stage: 'Production' },
        previous_version: null,
        archived_versions: [],
      });
      const second = await promote(name, { stage: 'Production', version: '2' }).expect(200);
      expect(second.body.previous_version).toBe('1');
      // MLflow's default policy has no capacity: both stay in Production.
      expect(await stageOf(name, 1)).toBe('Production');
    });

    it('resolves a semver range to its highest version', async () => {
      const name = await modelWithVersions(3);
      const res = await promote(name, { stage: 'Staging', range: '^1.0.0' }).expect(200);
      expect(res.body.model_version.version).toBe('3');
    });

    it('refuses a transition the policy does not list, naming the rule (400 INVALID_STATE)', async () => {
      const name = await modelWithVersions(1);
      await t.http
        .put('/api/policies')
        .send({
          model: name,
          stages: [{ name: 'Staging' }, { name: 'Production' }, { name: 'Archived' }],
          transitions: [
            { from: 'Staging', to: 'Production' },
            { from: '*', to: 'Staging' },
          ],
        })
        .expect(200);
      const res = await promote(name, { stage: 'Production', version: '1' }).expect(400);
      expect(res.body.error_code).toBe('INVALID_STATE');
      expect(res.body.message).toContain("rule 'transitions'");
      await promote(name, { stage: 'Staging', version: '1' }).expect(200);
      await promote(name, { stage: 'Production', version: '1' }).expect(200);
    });

    it('refuses an undefined stage', async () => {
      const name = await modelWithVersions(1);
      const res = await promote(name, { stage: 'shadow', version: '1' }).expect(400);
      expect(res.body.message).toContain("rule 'stages'");
    });

    it('requires the tags a stage asks for', async () => {
      const name = await modelWithVersions(1);
      await t.http
        .put('/api/policies')
        .send({
          model: name,
          stages: [{ name: 'prod', required_tags: { validated: 'true' } }],
          transitions: [],
        })
        .expect(200);
      const res = await promote(name, { stage: 'prod', version: '1' }).expect(400);
      expect(res.body.message).toContain("rule 'required_tags'");
      expect(res.body.message).toContain('validated=true');
      await t.http
        .post('/api/2.0/mlflow/model-versions/set-tag')
        .send({ name, version: '1', key: 'validated', value: 'true' })
        .expect(200);
      await promote(name, { stage: 'prod', version: '1' }).expect(200);
    });

    it('refuses a full stage, or archives its occupant when archive_previous is set', async () => {
      const name = await modelWithVersions(3);
      await t.http
        .put('/api/policies')
        .send({ model: name, stages: [{ name: 'prod', capacity: 1 }, { name: 'Archived' }], transitions: [] })
        .expect(200);
      await promote(name, { stage: 'prod', version: '1' }).expect(200);
      const full = await promote(name, { stage: 'prod', version: '2' }).expect(400);
      expect(full.body.message).toContain("rule 'capacity'");

      await t.http
        .put('/api/policies')
        .send({
          model: name,
          stages: [{ name: 'prod', capacity: 1, archive_previous: true }, { name: 'Archived' }],
          transitions: [],
        })
        .expect(200);
      const res = await promote(name, { stage: 'prod', version: '2' }).expect(200);
      expect(res.body).toMatchObject({ previous_version: '1', archived_versions: ['1'] });
      expect(await stageOf(name, 1)).toBe('Archived');
      expect(await stageOf(name, 2)).toBe('prod');
    });

    it('exposes each stage as an alias of the same name', async () => {
      const name = await modelWithVersions(2);
      await t.http
        .put('/api/policies')
        .send({
          model: name,
          stages: [{ name: 'prod', capacity: 1, archive_previous: true }],
          transitions: [],
        })
        .expect(200);
      await promote(name, { stage: 'prod', version: '2' }).expect(200);
      const res = await t.http.get('/api/2.0/mlflow/registered-models/alias').query({ name, alias: 'prod' });
      expect(res.status).toBe(200);
      expect(res.body.model_version.version).toBe('2');
    });

    it('compare-and-set: a stale expected_current_version gets 409 RESOURCE_CONFLICT', async () => {
      const name = await modelWithVersions(2);
      await promote(name, { stage: 'Production', version: '1', expected_current_version: '' }).expect(200);
      const stale = await promote(name, {
        stage: 'Production',
        version: '2',
        expected_current_version: '',
      }).expect(409);
      expect(stale.body.error_code).toBe('RESOURCE_CONFLICT');
      await promote(name, { stage: 'Production', version: '2', expected_current_version: '1' }).expect(200);
    });

    it('under concurrent promotions with the same expectation exactly one wins', async () => {
      const name = await modelWithVersions(6);
      const results = await Promise.all(
        [1, 2, 3, 4, 5, 6].map((version) =>
          promote(name, { stage: 'Production', version: String(version), expected_current_version: '' }),
        ),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 409, 409, 409, 409, 409]);
      const winner = results.find((r) => r.status === 200)!.body.model_version.version;
      const latest = await t.http
        .post('/api/2.0/mlflow/registered-models/get-latest-versions')
        .send({ name, stages: ['Production'] })
        .expect(200);
      expect(latest.body.model_versions.map((v: { version: string }) => v.version)).toEqual([winner]);
    });

    it('promotes aliases with compare-and-set too', async () => {
      const name = await modelWithVersions(2);
      const first = await promote(name, {
        alias: 'champion',
        version: '1',
        expected_current_version: '',
      }).expect(200);
      expect(first.body.previous_version).toBeNull();
      await promote(name, { alias: 'champion', version: '2', expected_current_version: '2' }).expect(409);
      const second = await promote(name, {
        alias: 'champion',
        version: '2',
        expected_current_version: '1',
      }).expect(200);
      expect(second.body.previous_version).toBe('1');
    });

    it.each([
      [{ version: '1' }, 'stage'],
      [{ stage: 'Production', alias: 'x', version: '1' }, 'not both'],
      [{ stage: 'Production', version: '1', semver: '1.0.0' }, 'at most one'],
    ])('refuses %j with 400', async (body, message) => {
      const name = await modelWithVersions(1);
      const res = await promote(name, body).expect(400);
      expect(res.body.message).toContain(message);
    });

    it('404s for a missing model or version', async () => {
      await promote('no-such-model-x', { stage: 'Production', version: '1' }).expect(404);
      const name = await modelWithVersions(1);
      await promote(name, { stage: 'Production', semver: '9.9.9' }).expect(404);
    });
  });

  describe('POST /api/models/<name>/rollback', () => {
    it('returns a stage to its previous holder, and the current one to where it came from', async () => {
      const name = await modelWithVersions(2);
      await t.http
        .put('/api/policies')
        .send({
          model: name,
          stages: [
            { name: 'Staging' },
            { name: 'Production', capacity: 1, archive_previous: true },
            { name: 'Archived' },
          ],
          transitions: [],
        })
        .expect(200);
      await promote(name, { stage: 'Production', version: '1' }).expect(200);
      await promote(name, { stage: 'Staging', version: '2' }).expect(200);
      await promote(name, { stage: 'Production', version: '2' }).expect(200);
      expect(await stageOf(name, 1)).toBe('Archived');
      const res = await t.http.post(`/api/models/${name}/rollback`).send({ stage: 'Production' }).expect(200);
      expect(res.body).toMatchObject({
        model_version: { version: '1', current_stage: 'Production' },
        previous_version: '2',
      });
      expect(await stageOf(name, 2)).toBe('Staging');
    });

    it('returns an alias to its previous target', async () => {
      const name = await modelWithVersions(2);
      await promote(name, { alias: 'champion', version: '1' }).expect(200);
      await promote(name, { alias: 'champion', version: '2' }).expect(200);
      const res = await t.http.post(`/api/models/${name}/rollback`).send({ alias: 'champion' }).expect(200);
      expect(res.body.model_version.version).toBe('1');
    });

    it('refuses when there is nothing to roll back to', async () => {
      const name = await modelWithVersions(1);
      await promote(name, { stage: 'Production', version: '1' }).expect(200);
      const res = await t.http.post(`/api/models/${name}/rollback`).send({ stage: 'Production' }).expect(400);
      expect(res.body.error_code).toBe('INVALID_STATE');
    });
  });
});
