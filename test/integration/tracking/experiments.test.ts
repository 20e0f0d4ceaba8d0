import { createTestApp, TestApp } from '../../helpers/test-app';
import { MLFLOW_PREFIXES, tagValue, uniqueName } from '../../helpers/mlflow';
import { API, createExperiment, createRun, getRun } from './helpers';

describe('MLflow experiments API', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  describe.each(MLFLOW_PREFIXES)('under %s', (prefix) => {
    it('creates an experiment and reads it by id and by name', async () => {
      const name = uniqueName('exp');
      const created = await t.http
        .post(`${prefix}/experiments/create`)
        .send({ name, tags: [{ key: 'team', value: 'x' }] })
        .expect(200);
      const id = created.body.experiment_id;
      expect(id).toMatch(/^[1-9]\d*$/);
      const byId = await t.http.get(`${prefix}/experiments/get`).query({ experiment_id: id }).expect(200);
      expect(byId.body.experiment).toMatchObject({
        experiment_id: id,
        name,
        artifact_location: `mlflow-artifacts:/${id}`,
        lifecycle_stage: 'active',
        tags: [{ key: 'team', value: 'x' }],
      });
      expect(byId.body.experiment.creation_time).toBeGreaterThan(0);
      const byName = await t.http
        .get(`${prefix}/experiments/get-by-name`)
        .query({ experiment_name: name })
        .expect(200);
      expect(byName.body.experiment.experiment_id).toBe(id);
    });
  });

  it('serves the Default experiment 0', async () => {
    const res = await t.http
      .get(`${API}/experiments/get-by-name`)
      .query({ experiment_name: 'Default' })
      .expect(200);
    expect(res.body.experiment).toMatchObject({
      experiment_id: '0',
      artifact_location: 'mlflow-artifacts:/0',
    });
  });

  it('answers get-by-name for a missing name with 404 RESOURCE_DOES_NOT_EXIST (set_experiment depends on it)', async () => {
    const res = await t.http
      .get(`${API}/experiments/get-by-name`)
      .query({ experiment_name: 'no-such-exp' })
      .expect(404);
    expect(res.body).toEqual({
      error_code: 'RESOURCE_DOES_NOT_EXIST',
      message: "Could not find experiment with name 'no-such-exp'",
    });
  });

  it('answers a missing id with 404', async () => {
    const res = await t.http.get(`${API}/experiments/get`).query({ experiment_id: '987654' }).expect(404);
    expect(res.body).toEqual({
      error_code: 'RESOURCE_DOES_NOT_EXIST',
      message: 'No Experiment with id=987654 exists',
    });
  });

  it('refuses a duplicate name with 400 RESOURCE_ALREADY_EXISTS, deleted experiments included', async () => {
    const name = uniqueName('exp');
    const id = await createExperiment(t, name);
    await t.http.post(`${API}/experiments/delete`).send({ experiment_id: id }).expect(200);
    const res = await t.http.post(`${API}/experiments/create`).send({ name }).expect(400);
    expect(res.body.error_code).toBe('RESOURCE_ALREADY_EXISTS');
  });

  it('refuses a missing or empty name and names longer than 500', async () => {
    expect((await t.http.post(`${API}/experiments/create`).send({}).expect(400)).body.message).toMatch(
      /Missing value for required parameter 'name'/,
    );
    expect(
      (await t.http.post(`${API}/experiments/create`).send({ name: '' }).expect(400)).body.error_code,
    ).toBe('INVALID_PARAMETER_VALUE');
    expect(
      (
        await t.http
          .post(`${API}/experiments/create`)
          .send({ name: 'x'.repeat(501) })
          .expect(400)
      ).body.error_code,
    ).toBe('INVALID_PARAMETER_VALUE');
  });

  it.each([
    'file:///etc',
    '/tmp/x',
    'relative/path',
    's3://bucket/x',
    'http://evil.example/x',
    'https://evil.example/x',
    'dbfs:/x',
    'runs:/abc/x',
    'mlflow-artifacts:/1#frag',
    'mlflow-artifacts:/1;params',
    'mlflow-artifacts:/1/../2',
    'mlflow-artifacts:/1/%2E%2E/2',
    'mlflow-artifacts:/1/%252E%252E/2',
    'mlflow-artifacts://otherhost/1',
  ])(
    'refuses artifact_location %s with 400 INVALID_PARAMETER_VALUE and creates nothing',
    async (location) => {
      const name = uniqueName('exp');
      const res = await t.http
        .post(`${API}/experiments/create`)
        .send({ name, artifact_location: location })
        .expect(400);
      expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
      await t.http.get(`${API}/experiments/get-by-name`).query({ experiment_name: name }).expect(404);
    },
  );

  it('ignores an mlflow-artifacts:/ location and allocates its own', async () => {
    const res = await t.http
      .post(`${API}/experiments/create`)
      .send({ name: uniqueName('exp'), artifact_location: 'mlflow-artifacts:/elsewhere' })
      .expect(200);
    const got = await t.http
      .get(`${API}/experiments/get`)
      .query({ experiment_id: res.body.experiment_id })
      .expect(200);
    expect(got.body.experiment.artifact_location).toBe(`mlflow-artifacts:/${res.body.experiment_id}`);
  });

  it('renames, refusing a taken name', async () => {
    const id = await createExperiment(t);
    const other = uniqueName('exp');
    await createExperiment(t, other);
    const newName = uniqueName('renamed');
    await t.http.post(`${API}/experiments/update`).send({ experiment_id: id, new_name: newName }).expect(200);
    expect(
      (await t.http.get(`${API}/experiments/get`).query({ experiment_id: id })).body.experiment.name,
    ).toBe(newName);
    const res = await t.http
      .post(`${API}/experiments/update`)
      .send({ experiment_id: id, new_name: other })
      .expect(400);
    expect(res.body.error_code).toBe('RESOURCE_ALREADY_EXISTS');
  });

  it('soft-deletes with its runs and restores both; get and get-by-name still return it', async () => {
    const name = uniqueName('exp');
    const id = await createExperiment(t, name);
    const run = await createRun(t, id);
    const ownRun = await createRun(t, id);
    await t.http.post(`${API}/runs/delete`).send({ run_id: ownRun.info.run_id }).expect(200);
    await t.http.post(`${API}/experiments/delete`).send({ experiment_id: id }).expect(200);
    const deleted = await t.http
      .get(`${API}/experiments/get-by-name`)
      .query({ experiment_name: name })
      .expect(200);
    expect(deleted.body.experiment.lifecycle_stage).toBe('deleted');
    expect((await getRun(t, run.info.run_id)).info.lifecycle_stage).toBe('deleted');
    // creating runs in a deleted experiment is refused
    const refused = await t.http.post(`${API}/runs/create`).send({ experiment_id: id }).expect(400);
    expect(refused.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    await t.http.post(`${API}/experiments/restore`).send({ experiment_id: id }).expect(200);
    expect((await getRun(t, run.info.run_id)).info.lifecycle_stage).toBe('active');
    // a run the user deleted on its own stays deleted
    expect((await getRun(t, ownRun.info.run_id)).info.lifecycle_stage).toBe('deleted');
  });

  it('sets and deletes experiment tags; deleting a missing tag is 404', async () => {
    const id = await createExperiment(t);
    await t.http
      .post(`${API}/experiments/set-experiment-tag`)
      .send({ experiment_id: id, key: 'k', value: 'v1' })
      .expect(200);
    await t.http
      .post(`${API}/experiments/set-experiment-tag`)
      .send({ experiment_id: id, key: 'k', value: 'v2' })
      .expect(200);
    let exp = (await t.http.get(`${API}/experiments/get`).query({ experiment_id: id })).body.experiment;
    expect(tagValue(exp.tags, 'k')).toBe('v2');
    await t.http
      .post(`${API}/experiments/delete-experiment-tag`)
      .send({ experiment_id: id, key: 'k' })
      .expect(200);
    exp = (await t.http.get(`${API}/experiments/get`).query({ experiment_id: id })).body.experiment;
    expect(exp.tags).toBeUndefined();
    const res = await t.http
      .post(`${API}/experiments/delete-experiment-tag`)
      .send({ experiment_id: id, key: 'k' })
      .expect(404);
    expect(res.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    const long = await t.http
      .post(`${API}/experiments/set-experiment-tag`)
      .send({ experiment_id: id, key: 'k', value: 'x'.repeat(5001) })
      .expect(400);
    expect(long.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    const badKey = await t.http
      .post(`${API}/experiments/set-experiment-tag`)
      .send({ experiment_id: id, key: '../k', value: 'v' })
      .expect(400);
    expect(badKey.body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  describe('search', () => {
    let prefixName: string;
    let ids: string[];
    beforeAll(async () => {
      prefixName = uniqueName('srch');
      ids = [];
      for (const suffix of ['a', 'b', 'c']) {
        const id = await createExperiment(t, `${prefixName}-${suffix}`);
        await t.http
          .post(`${API}/experiments/set-experiment-tag`)
          .send({ experiment_id: id, key: 'grp', value: suffix === 'c' ? 'two' : 'one' });
        ids.push(id);
      }
      await t.http.post(`${API}/experiments/delete`).send({ experiment_id: ids[2] }).expect(200);
    });

    it('filters by name LIKE and tags, ordered by name, with view types', async () => {
      const res = await t.http
        .post(`${API}/experiments/search`)
        .send({ filter: `name LIKE '${prefixName}%'`, order_by: ['name DESC'], view_type: 'ALL' })
        .expect(200);
      expect(res.body.experiments.map((e: any) => e.experiment_id)).toEqual([ids[2], ids[1], ids[0]]);
      const active = await t.http
        .post(`${API}/experiments/search`)
        .send({ filter: `name LIKE '${prefixName}%'` })
        .expect(200);
      expect(active.body.experiments).toHaveLength(2);
      const deleted = await t.http
        .post(`${API}/experiments/search`)
        .send({ filter: `name LIKE '${prefixName}%'`, view_type: 'DELETED_ONLY' })
        .expect(200);
      expect(deleted.body.experiments.map((e: any) => e.experiment_id)).toEqual([ids[2]]);
      const tagged = await t.http
        .post(`${API}/experiments/search`)
        .send({ filter: `name ILIKE '${prefixName.toUpperCase()}%' AND tags.grp = 'one'`, view_type: 'ALL' })
        .expect(200);
      expect(tagged.body.experiments).toHaveLength(2);
    });

    it('filters by experiment_id with = and IN', async () => {
      const one = await t.http
        .post(`${API}/experiments/search`)
        .send({ filter: `experiment_id = '${ids[1]}'` })
        .expect(200);
      expect(one.body.experiments.map((e: any) => e.experiment_id)).toEqual([ids[1]]);
      const list = await t.http
        .post(`${API}/experiments/search`)
        .send({
          filter: `experiment_id IN ('${ids[0]}', '${ids[2]}')`,
          view_type: 'ALL',
          order_by: ['experiment_id'],
        })
        .expect(200);
      expect(list.body.experiments.map((e: any) => e.experiment_id)).toEqual([ids[0], ids[2]]);
    });

    it('pages with next_page_token, also by GET with repeated order_by', async () => {
      const first = await t.http
        .get(`${API}/experiments/search`)
        .query(
          `filter=${encodeURIComponent(`name LIKE '${prefixName}%'`)}&max_results=1&order_by=name&view_type=ALL`,
        )
        .expect(200);
      expect(first.body.experiments).toHaveLength(1);
      expect(first.body.experiments[0].experiment_id).toBe(ids[0]);
      const second = await t.http
        .get(`${API}/experiments/search`)
        .query({
          filter: `name LIKE '${prefixName}%'`,
          max_results: '5',
          order_by: 'name',
          view_type: 'ALL',
          page_token: first.body.next_page_token,
        })
        .expect(200);
      expect(second.body.experiments.map((e: any) => e.experiment_id)).toEqual([ids[1], ids[2]]);
      expect(second.body.next_page_token).toBeUndefined();
    });

    it.each([
      [{ max_results: 50001 }, /max_results/],
      [{ filter: 'name = ' }, /Invalid filter/],
      [{ filter: "foo = 'x'" }, /experiments can be filtered/],
      [{ filter: "name > 'x'" }, /expected =, !=, LIKE or ILIKE/],
      [{ order_by: ['bogus'] }, /Invalid order_by/],
      [{ view_type: 'SOME' }, /view_type/],
      [{ page_token: 'not-a-token' }, /page token/],
    ])('refuses %j with 400', async (body, message) => {
      const res = await t.http.post(`${API}/experiments/search`).send(body).expect(400);
      expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
      expect(res.body.message).toMatch(message);
    });
  });
});
