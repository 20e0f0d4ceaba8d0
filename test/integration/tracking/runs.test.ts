import { createTestApp, TestApp } from '../../helpers/test-app';
import { MLFLOW_PREFIXES, tagValue } from '../../helpers/mlflow';
import { API, createExperiment, createRun, getRun } from './helpers';

describe('MLflow runs API', () => {
  let t: TestApp;
  let exp: string;
  beforeAll(async () => {
    t = await createTestApp();
    exp = await createExperiment(t);
  });
  afterAll(() => t.close());

  describe.each(MLFLOW_PREFIXES)('under %s', (prefix) => {
    it('creates a RUNNING run with a uuid4-hex id, artifact URI and the mlflow.runName tag', async () => {
      const res = await t.http
        .post(`${prefix}/runs/create`)
        .send({
          experiment_id: exp,
          user_id: 'alice',
          start_time: 1700000000000,
          run_name: 'first',
          tags: [{ key: 'team', value: 'x' }],
        })
        .expect(200);
      const run = res.body.run;
      expect(run.info.run_id).toMatch(/^[0-9a-f]{32}$/);
      expect(run.info).toEqual({
        run_id: run.info.run_id,
        run_uuid: run.info.run_id,
        run_name: 'first',
        experiment_id: exp,
        user_id: 'alice',
        status: 'RUNNING',
        start_time: 1700000000000,
        artifact_uri: `mlflow-artifacts:/${exp}/${run.info.run_id}/artifacts`,
        lifecycle_stage: 'active',
      });
      expect(tagValue(run.data.tags, 'mlflow.runName')).toBe('first');
      expect(tagValue(run.data.tags, 'team')).toBe('x');
      const got = await t.http.get(`${prefix}/runs/get`).query({ run_id: run.info.run_id }).expect(200);
      expect(got.body.run.info).toEqual(run.info);
    });
  });

  it('logs to experiment 0 when no experiment_id is given', async () => {
    const res = await t.http.post(`${API}/runs/create`).send({}).expect(200);
    expect(res.body.run.info.experiment_id).toBe('0');
    expect(res.body.run.info.run_name).toMatch(/^[a-z]+-[a-z]+-\d{1,3}$/);
    expect(tagValue(res.body.run.data.tags, 'mlflow.runName')).toBe(res.body.run.info.run_name);
  });

  it('takes the run name from the mlflow.runName tag, and refuses a conflicting run_name', async () => {
    const run = await createRun(t, exp, { tags: [{ key: 'mlflow.runName', value: 'from-tag' }] });
    expect(run.info.run_name).toBe('from-tag');
    const res = await t.http
      .post(`${API}/runs/create`)
      .send({ experiment_id: exp, run_name: 'a', tags: [{ key: 'mlflow.runName', value: 'b' }] })
      .expect(400);
    expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('reads run_uuid when run_id is absent, and 404s a missing run', async () => {
    const run = await createRun(t, exp);
    const got = await t.http.get(`${API}/runs/get`).query({ run_uuid: run.info.run_id }).expect(200);
    expect(got.body.run.info.run_id).toBe(run.info.run_id);
    const missing = await t.http
      .get(`${API}/runs/get`)
      .query({ run_id: 'ffffffffffffffffffffffffffffffff' })
      .expect(404);
    expect(missing.body).toEqual({
      error_code: 'RESOURCE_DOES_NOT_EXIST',
      message: 'Run with id=ffffffffffffffffffffffffffffffff not found',
    });
    const none = await t.http.get(`${API}/runs/get`).expect(400);
    expect(none.body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('refuses a run in a missing experiment with 404', async () => {
    const res = await t.http.post(`${API}/runs/create`).send({ experiment_id: '99999999' }).expect(404);
    expect(res.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('updates status, end_time and name (which also renames the tag)', async () => {
    const run = await createRun(t, exp);
    const id = run.info.run_id;
    const res = await t.http
      .post(`${API}/runs/update`)
      .send({ run_id: id, run_uuid: id, status: 'FINISHED', end_time: 1700000005000, run_name: 'renamed' })
      .expect(200);
    expect(res.body.run_info).toMatchObject({
      run_id: id,
      status: 'FINISHED',
      end_time: 1700000005000,
      run_name: 'renamed',
    });
    const got = await getRun(t, id);
    expect(tagValue(got.data.tags, 'mlflow.runName')).toBe('renamed');
    const bad = await t.http.post(`${API}/runs/update`).send({ run_id: id, status: 'DONE' }).expect(400);
    expect(bad.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    const numeric = await t.http.post(`${API}/runs/update`).send({ run_id: id, status: 4 }).expect(200);
    expect(numeric.body.run_info.status).toBe('FAILED');
  });

  it('set-tag upserts, mlflow.runName renames, delete-tag removes and 404s a missing tag', async () => {
    const run = await createRun(t, exp);
    const id = run.info.run_id;
    await t.http
      .post(`${API}/runs/set-tag`)
      .send({ run_id: id, run_uuid: id, key: 'k', value: 'v1' })
      .expect(200);
    await t.http.post(`${API}/runs/set-tag`).send({ run_id: id, key: 'k', value: 'v2' }).expect(200);
    await t.http
      .post(`${API}/runs/set-tag`)
      .send({ run_id: id, key: 'mlflow.runName', value: 'tagged-name' })
      .expect(200);
    let got = await getRun(t, id);
    expect(tagValue(got.data.tags, 'k')).toBe('v2');
    expect(got.info.run_name).toBe('tagged-name');
    await t.http.post(`${API}/runs/delete-tag`).send({ run_id: id, key: 'k' }).expect(200);
    got = await getRun(t, id);
    expect(tagValue(got.data.tags, 'k')).toBeUndefined();
    const missing = await t.http.post(`${API}/runs/delete-tag`).send({ run_id: id, key: 'k' }).expect(404);
    expect(missing.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('truncates run tag values past 8000 characters', async () => {
    const run = await createRun(t, exp);
    await t.http
      .post(`${API}/runs/set-tag`)
      .send({ run_id: run.info.run_id, key: 'long', value: 'y'.repeat(9000) })
      .expect(200);
    expect(tagValue((await getRun(t, run.info.run_id)).data.tags, 'long')).toHaveLength(8000);
  });

  it.each(['', '/abs', 'a//b', 'a/../b', '..', '.', 'bad$char', 'x'.repeat(251)])(
    'refuses the tag key %j',
    async (key) => {
      const run = await createRun(t, exp);
      const res = await t.http
        .post(`${API}/runs/set-tag`)
        .send({ run_id: run.info.run_id, key, value: 'v' })
        .expect(400);
      expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    },
  );

  it('soft-deletes and restores; a deleted run refuses writes with 400 but is still readable', async () => {
    const run = await createRun(t, exp);
    const id = run.info.run_id;
    await t.http.post(`${API}/runs/delete`).send({ run_id: id }).expect(200);
    expect((await getRun(t, id)).info.lifecycle_stage).toBe('deleted');
    for (const [path, body] of [
      ['runs/log-metric', { key: 'm', value: 1, timestamp: 1 }],
      ['runs/log-parameter', { key: 'p', value: '1' }],
      ['runs/set-tag', { key: 't', value: '1' }],
      ['runs/log-batch', { metrics: [{ key: 'm', value: 1, timestamp: 1 }] }],
      ['runs/update', { status: 'FINISHED' }],
    ] as const) {
      const res = await t.http
        .post(`${API}/${path}`)
        .send({ run_id: id, ...body })
        .expect(400);
      expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    }
    await t.http.post(`${API}/runs/restore`).send({ run_id: id }).expect(200);
    expect((await getRun(t, id)).info.lifecycle_stage).toBe('active');
    await t.http.post(`${API}/runs/delete`).send({ run_id: 'ffffffffffffffffffffffffffffffff' }).expect(404);
  });

  it('refuses non-JSON bodies', async () => {
    const res = await t.http
      .post(`${API}/runs/create`)
      .set('Content-Type', 'text/plain')
      .send('{}')
      .expect(400);
    expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  describe('runs/log-model (2.x)', () => {
    it('appends each model dict to mlflow.log-model.history', async () => {
      const run = await createRun(t, exp);
      const id = run.info.run_id;
      const model = (path: string) =>
        JSON.stringify({
          artifact_path: path,
          flavors: { python_function: {} },
          utc_time_created: '2024-01-01 00:00:00',
          run_id: id,
        });
      await t.http
        .post(`${API}/runs/log-model`)
        .send({ run_id: id, model_json: model('m1') })
        .expect(200);
      await t.http
        .post(`${API}/runs/log-model`)
        .send({ run_id: id, model_json: model('m2') })
        .expect(200);
      const history = JSON.parse(
        tagValue((await getRun(t, id)).data.tags, 'mlflow.log-model.history') as string,
      );
      expect(history.map((m: any) => m.artifact_path)).toEqual(['m1', 'm2']);
    });

    it.each([
      ['not json', /valid JSON/],
      ['[1]', /JSON object/],
      ['{"artifact_path": "m"}', /missing mandatory fields/],
    ])('refuses model_json %s', async (modelJson, message) => {
      const run = await createRun(t, exp);
      const res = await t.http
        .post(`${API}/runs/log-model`)
        .send({ run_id: run.info.run_id, model_json: modelJson })
        .expect(400);
      expect(res.body.message).toMatch(message);
    });
  });

  describe('runs/log-inputs', () => {
    const dataset = (name: string, extra: Record<string, unknown> = {}) => ({
      name,
      digest: 'abc123',
      source_type: 'local',
      source: '{"uri": "data.csv"}',
      ...extra,
    });

    it('links datasets with their tags, once per run', async () => {
      const run = await createRun(t, exp);
      const id = run.info.run_id;
      const body = {
        run_id: id,
        datasets: [
          {
            tags: [{ key: 'mlflow.data.context', value: 'training' }],
            dataset: dataset('train', { schema: '{}', profile: '{"rows": 3}' }),
          },
        ],
      };
      await t.http.post(`${API}/runs/log-inputs`).send(body).expect(200);
      await t.http.post(`${API}/runs/log-inputs`).send(body).expect(200);
      const got = await getRun(t, id);
      expect(got.inputs.dataset_inputs).toEqual([
        {
          tags: [{ key: 'mlflow.data.context', value: 'training' }],
          dataset: {
            name: 'train',
            digest: 'abc123',
            source_type: 'local',
            source: '{"uri": "data.csv"}',
            schema: '{}',
            profile: '{"rows": 3}',
          },
        },
      ]);
    });

    it.each([
      [{ name: 'x'.repeat(501) }, /dataset.name/],
      [{ digest: 'd'.repeat(37) }, /dataset.digest/],
      [{ source: 's'.repeat(65536) }, /dataset.source/],
      [{ name: '' }, /Missing value/],
    ])('refuses dataset %#', async (override, message) => {
      const run = await createRun(t, exp);
      const res = await t.http
        .post(`${API}/runs/log-inputs`)
        .send({ run_id: run.info.run_id, datasets: [{ dataset: dataset('d', override) }] })
        .expect(400);
      expect(res.body.message).toMatch(message);
    });

    it('refuses input tags past their limits', async () => {
      const run = await createRun(t, exp);
      const res = await t.http
        .post(`${API}/runs/log-inputs`)
        .send({
          run_id: run.info.run_id,
          datasets: [{ tags: [{ key: 'k', value: 'v'.repeat(501) }], dataset: dataset('d') }],
        })
        .expect(400);
      expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    });

    it('refuses unknown logged models as inputs with 404', async () => {
      const run = await createRun(t, exp);
      const res = await t.http
        .post(`${API}/runs/log-inputs`)
        .send({ run_id: run.info.run_id, models: [{ model_id: 'm-00000000000000000000000000000000' }] })
        .expect(404);
      expect(res.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    });
  });
});
