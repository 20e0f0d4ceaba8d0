import { createTestApp, TestApp } from '../../helpers/test-app';
import { MLFLOW_PREFIXES, tagValue, uniqueName } from '../../helpers/mlflow';
import { findLoggedModelArtifactUri } from '../../../src/tracking/logged-models';
import { API, createExperiment, createRun, getRun } from './helpers';

describe('MLflow 3 logged models', () => {
  let t: TestApp;
  let exp: string;
  beforeAll(async () => {
    t = await createTestApp();
    exp = await createExperiment(t);
  });
  afterAll(() => t.close());

  const createModel = async (body: Record<string, unknown> = {}, prefix: string = API) => {
    const res = await t.http.post(`${prefix}/logged-models`).send({ experiment_id: exp, ...body });
    if (res.status !== 200) throw new Error(`${res.status} ${JSON.stringify(res.body)}`);
    return res.body.model;
  };

  describe.each(MLFLOW_PREFIXES)('under %s', (prefix) => {
    it('runs the MLflow 3 log_model sequence: create, outputs, get, finalize, tag', async () => {
      const run = await createRun(t, exp);
      const runId = run.info.run_id;
      await t.http
        .post(`${prefix}/runs/log-parameter`)
        .send({ run_id: runId, key: 'alpha', value: '0.5' })
        .expect(200);
      const model = await createModel(
        {
          name: 'model',
          source_run_id: runId,
          model_type: 'sklearn',
          params: [{ key: 'alpha', value: '0.5' }],
          tags: [{ key: 'mlflow.user', value: 'me' }],
        },
        prefix,
      );
      const id = model.info.model_id;
      expect(id).toMatch(/^m-[0-9a-f]{32}$/);
      expect(model.info).toMatchObject({
        experiment_id: exp,
        name: 'model',
        artifact_uri: `mlflow-artifacts:/${exp}/models/${id}/artifacts`,
        status: 'LOGGED_MODEL_PENDING',
        source_run_id: runId,
        model_type: 'sklearn',
        tags: [{ key: 'mlflow.user', value: 'me' }],
      });
      expect(model.data.params).toEqual([{ key: 'alpha', value: '0.5' }]);

      await t.http
        .post(`${prefix}/runs/outputs`)
        .send({ run_id: runId, models: [{ model_id: id, step: 0 }] })
        .expect(200);
      expect((await getRun(t, runId)).outputs.model_outputs).toEqual([{ model_id: id, step: 0 }]);

      // A point logged, then relogged with model_id as MLflow 3's log_model does: the model's data.metrics
      // lists it, the run's history keeps one point with no model (as the reference's `metrics` table).
      const point = { key: 'rmse', value: 0.7, timestamp: 5, step: 0 };
      await t.http
        .post(`${prefix}/runs/log-batch`)
        .send({ run_id: runId, metrics: [point] })
        .expect(200);
      await t.http
        .post(`${prefix}/runs/log-batch`)
        .send({ run_id: runId, metrics: [{ ...point, model_id: id }] })
        .expect(200);

      const got = await t.http.get(`${prefix}/logged-models/${id}`).expect(200);
      expect(got.body.model.data.metrics).toEqual([{ ...point, run_id: runId, model_id: id }]);
      const history = await t.http
        .get(`${prefix}/metrics/get-history`)
        .query({ run_id: runId, metric_key: 'rmse' })
        .expect(200);
      expect(history.body.metrics).toEqual([point]);

      const ready = await t.http
        .patch(`${prefix}/logged-models/${id}`)
        .send({ model_id: id, status: 'LOGGED_MODEL_READY' })
        .expect(200);
      expect(ready.body.model.info.status).toBe('LOGGED_MODEL_READY');

      await t.http
        .patch(`${prefix}/logged-models/${id}/tags`)
        .send({ tags: [{ key: 'mlflow.modelVersions', value: '[{"name": "reg", "version": "1"}]' }] })
        .expect(200);
      const tagged = (await t.http.get(`${prefix}/logged-models/${id}`).expect(200)).body.model;
      expect(tagValue(tagged.info.tags, 'mlflow.modelVersions')).toBe('[{"name": "reg", "version": "1"}]');
      expect(await findLoggedModelArtifactUri(t.db, id)).toEqual({
        artifactUri: tagged.info.artifact_uri,
        sourceRunId: runId,
      });
    });
  });

  it('generates a name when none is given, and refuses names with / : . % " \'', async () => {
    const model = await createModel();
    expect(model.info.name).toMatch(/^[a-z]+-[a-z]+-\d+$/);
    for (const name of ['a/b', 'a:b', 'a.b', 'a%b', 'a"b', "a'b"]) {
      const res = await t.http.post(`${API}/logged-models`).send({ experiment_id: exp, name }).expect(400);
      expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    }
  });

  it('refuses a missing experiment_id, a missing experiment and a deleted one', async () => {
    expect((await t.http.post(`${API}/logged-models`).send({}).expect(400)).body.message).toMatch(
      /experiment_id/,
    );
    expect(
      (await t.http.post(`${API}/logged-models`).send({ experiment_id: '8888888' }).expect(404)).body
        .error_code,
    ).toBe('RESOURCE_DOES_NOT_EXIST');
    const gone = await createExperiment(t);
    await t.http.post(`${API}/experiments/delete`).send({ experiment_id: gone }).expect(200);
    expect(
      (await t.http.post(`${API}/logged-models`).send({ experiment_id: gone }).expect(400)).body.error_code,
    ).toBe('INVALID_PARAMETER_VALUE');
  });

  it('answers a missing model with 404 RESOURCE_DOES_NOT_EXIST', async () => {
    const res = await t.http.get(`${API}/logged-models/m-00000000000000000000000000000000`).expect(404);
    expect(res.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    await t.http
      .patch(`${API}/logged-models/m-00000000000000000000000000000000`)
      .send({ status: 'LOGGED_MODEL_READY' })
      .expect(404);
    await t.http
      .patch(`${API}/logged-models/m-00000000000000000000000000000000/tags`)
      .send({ tags: [{ key: 'a', value: 'b' }] })
      .expect(404);
  });

  it('finalizes only to READY or UPLOAD_FAILED (names or numbers)', async () => {
    const model = await createModel();
    const id = model.info.model_id;
    expect(
      (await t.http.patch(`${API}/logged-models/${id}`).send({ status: 'LOGGED_MODEL_PENDING' }).expect(400))
        .body.error_code,
    ).toBe('INVALID_PARAMETER_VALUE');
    expect(
      (await t.http.patch(`${API}/logged-models/${id}`).send({ status: 'DONE' }).expect(400)).body.error_code,
    ).toBe('INVALID_PARAMETER_VALUE');
    expect(
      (await t.http.patch(`${API}/logged-models/${id}`).send({ status: 3 }).expect(200)).body.model.info
        .status,
    ).toBe('LOGGED_MODEL_UPLOAD_FAILED');
  });

  it('deletes a tag by key in the path (dots allowed) and 404s a missing one', async () => {
    const model = await createModel({ tags: [{ key: 'mlflow.source.name', value: 'x' }] });
    const id = model.info.model_id;
    await t.http.delete(`${API}/logged-models/${id}/tags/mlflow.source.name`).expect(200);
    expect((await t.http.get(`${API}/logged-models/${id}`)).body.model.info.tags).toBeUndefined();
    expect(
      (await t.http.delete(`${API}/logged-models/${id}/tags/mlflow.source.name`).expect(404)).body.error_code,
    ).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('logs extra params write-once', async () => {
    const model = await createModel({ params: [{ key: 'a', value: '1' }] });
    const id = model.info.model_id;
    await t.http
      .post(`${API}/logged-models/${id}/params`)
      .send({
        model_id: id,
        params: [
          { key: 'b', value: '2' },
          { key: 'a', value: '1' },
        ],
      })
      .expect(200);
    expect((await t.http.get(`${API}/logged-models/${id}`)).body.model.data.params).toEqual([
      { key: 'a', value: '1' },
      { key: 'b', value: '2' },
    ]);
    const res = await t.http
      .post(`${API}/logged-models/${id}/params`)
      .send({ params: [{ key: 'a', value: 'changed' }] })
      .expect(400);
    expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('soft-deletes: gone for get and search, visible with allow_deleted=True, not a registry source', async () => {
    const model = await createModel({ name: uniqueName('del') });
    const id = model.info.model_id;
    await t.http.delete(`${API}/logged-models/${id}`).send({ model_id: id }).expect(200);
    await t.http.get(`${API}/logged-models/${id}`).expect(404);
    const deleted = await t.http
      .get(`${API}/logged-models/${id}`)
      .query({ allow_deleted: 'True' })
      .expect(200);
    expect(deleted.body.model.info.model_id).toBe(id);
    const search = await t.http
      .post(`${API}/logged-models/search`)
      .send({ experiment_ids: [exp], filter: `name = '${model.info.name}'` })
      .expect(200);
    expect(search.body.models ?? []).toEqual([]);
    expect(await findLoggedModelArtifactUri(t.db, id)).toBeUndefined();
  });

  it('refuses runs/outputs for an unknown model with 404', async () => {
    const run = await createRun(t, exp);
    const res = await t.http
      .post(`${API}/runs/outputs`)
      .send({
        run_id: run.info.run_id,
        models: [{ model_id: 'm-00000000000000000000000000000000', step: 0 }],
      })
      .expect(404);
    expect(res.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  describe('search', () => {
    let sexp: string;
    let models: Record<string, string>;
    beforeAll(async () => {
      sexp = await createExperiment(t);
      const run = await createRun(t, sexp);
      models = {};
      for (const [name, acc, type] of [
        ['first', 0.5, 'sklearn'],
        ['second', 0.9, 'sklearn'],
        ['third', 0.7, 'pytorch'],
      ] as const) {
        const res = await t.http
          .post(`${API}/logged-models`)
          .send({
            experiment_id: sexp,
            name,
            model_type: type,
            source_run_id: run.info.run_id,
            params: [{ key: 'kind', value: type }],
          })
          .expect(200);
        models[name] = res.body.model.info.model_id;
        await t.http
          .post(`${API}/runs/log-metric`)
          .send({
            run_id: run.info.run_id,
            key: 'acc',
            value: acc,
            timestamp: 1,
            step: 0,
            model_id: models[name],
            dataset_name: 'eval',
            dataset_digest: 'd',
          })
          .expect(200);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await t.http
        .patch(`${API}/logged-models/${models.second}`)
        .send({ status: 'LOGGED_MODEL_READY' })
        .expect(200);
    });

    const search = async (body: Record<string, unknown>) => {
      const res = await t.http.post(`${API}/logged-models/search`).send({ experiment_ids: [sexp], ...body });
      if (res.status !== 200) throw new Error(`${res.status} ${JSON.stringify(res.body)}`);
      return res.body as { models?: any[]; next_page_token?: string };
    };
    const names = (body: { models?: any[] }) => (body.models ?? []).map((m) => m.info.name);

    it('defaults to newest first', async () => {
      expect(names(await search({}))).toEqual(['third', 'second', 'first']);
    });

    it.each([
      ["name = 'second'", ['second']],
      ["name LIKE '%ir%'", ['third', 'first']],
      ["model_type = 'sklearn'", ['second', 'first']],
      ["status = 'LOGGED_MODEL_READY'", ['second']],
      ["status = 'READY'", ['second']],
      ["status IN ('PENDING')", ['third', 'first']],
      ['metrics.acc > 0.6', ['third', 'second']],
      ["params.kind = 'pytorch'", ['third']],
      ["name != 'first' AND metrics.acc < 0.8", ['third']],
      ['creation_timestamp > 0', ['third', 'second', 'first']],
    ])('filters %s', async (filter, expected) => {
      expect(names(await search({ filter }))).toEqual(expected);
    });

    it('filters source_run_id as the client does after a name search', async () => {
      const [model] = (await search({ filter: "name = 'first'" })).models!;
      const bySource = await search({ filter: `source_run_id = '${model.info.source_run_id}'` });
      expect(names(bySource)).toHaveLength(3);
    });

    it('restricts metric filters to the requested datasets, and keeps only models with metrics on them', async () => {
      expect(
        names(await search({ filter: 'metrics.acc > 0', datasets: [{ dataset_name: 'eval' }] })),
      ).toHaveLength(3);
      expect(
        names(await search({ filter: 'metrics.acc > 0', datasets: [{ dataset_name: 'other' }] })),
      ).toEqual([]);
      expect(names(await search({ datasets: [{ dataset_name: 'eval', dataset_digest: 'd' }] }))).toHaveLength(
        3,
      );
      expect(names(await search({ datasets: [{ dataset_name: 'eval', dataset_digest: 'other' }] }))).toEqual(
        [],
      );
    });

    it('filters params with IN and accepts a max_results above the page size', async () => {
      expect(names(await search({ filter: "params.kind IN ('pytorch', 'jax')" }))).toEqual(['third']);
      expect(names(await search({ filter: "params.kind NOT IN ('pytorch')", max_results: 5000 }))).toEqual([
        'second',
        'first',
      ]);
    });

    it('orders by object entries, metrics included', async () => {
      expect(names(await search({ order_by: [{ field_name: 'metrics.acc', ascending: false }] }))).toEqual([
        'second',
        'third',
        'first',
      ]);
      expect(names(await search({ order_by: [{ field_name: 'name' }] }))).toEqual([
        'first',
        'second',
        'third',
      ]);
      expect(
        names(await search({ order_by: [{ field_name: 'creation_timestamp', ascending: true }] })),
      ).toEqual(['first', 'second', 'third']);
    });

    it('pages with a token bound to the query', async () => {
      const first = await search({ max_results: 2, order_by: [{ field_name: 'name' }] });
      expect(names(first)).toEqual(['first', 'second']);
      const second = await search({
        max_results: 2,
        order_by: [{ field_name: 'name' }],
        page_token: first.next_page_token,
      });
      expect(names(second)).toEqual(['third']);
      const misuse = await t.http
        .post(`${API}/logged-models/search`)
        .send({
          experiment_ids: [sexp],
          max_results: 2,
          order_by: [{ field_name: 'name', ascending: false }],
          page_token: first.next_page_token,
        })
        .expect(400);
      expect(misuse.body.message).toMatch(/different search/);
      const otherFilter = await t.http
        .post(`${API}/logged-models/search`)
        .send({
          experiment_ids: [sexp],
          filter: "name = 'x'",
          max_results: 2,
          order_by: [{ field_name: 'name' }],
          page_token: first.next_page_token,
        })
        .expect(400);
      expect(otherFilter.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    });

    it.each([
      [{ experiment_ids: [] }, /experiment_ids/],
      [{ filter: "bogus.x = 'a'" }, /unknown entity/],
      [{ filter: "nope = 'a'" }, /unknown attribute/],
      [{ filter: "metrics.acc = 'a'" }, /with a number/],
      [{ order_by: [{ field_name: 'nope' }] }, /field_name/],
      [{ order_by: ['name'] }, /order_by/],
      [{ max_results: 0 }, /max_results/],
      [{ datasets: [{ dataset_digest: 'd' }] }, /dataset_name/],
    ])('refuses %j with 400', async (body, message) => {
      const res = await t.http
        .post(`${API}/logged-models/search`)
        .send({ experiment_ids: [sexp], ...body })
        .expect(400);
      expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
      expect(res.body.message).toMatch(message);
    });
  });
});

describe('GET /ajax-api/2.0/mlflow/logged-models/<id>/artifacts/files (the UI preview)', () => {
  let t: TestApp;
  let id: string;
  const url = (modelId: string, query: string) =>
    `/ajax-api/2.0/mlflow/logged-models/${modelId}/artifacts/files${query}`;
  beforeAll(async () => {
    t = await createTestApp();
    const exp = await createExperiment(t);
    const res = await t.http
      .post(`${API}/logged-models`)
      .send({ experiment_id: exp, name: 'previewed' })
      .expect(200);
    id = res.body.model.info.model_id;
    const root = res.body.model.info.artifact_uri.replace('mlflow-artifacts:/', '');
    await t.http
      .put(`/api/2.0/mlflow-artifacts/artifacts/${root}/MLmodel`)
      .set('Content-Type', 'application/octet-stream')
      .send(Buffer.from('flavors:\n  python_function: {}\n'))
      .expect(200);
  });
  afterAll(() => t.close());

  it('returns the bytes of a file below the logged model', async () => {
    const res = await t.http.get(url(id, '?artifact_file_path=MLmodel')).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toBe('flavors:\n  python_function: {}\n');
    expect(res.headers['content-length']).toBe('31');
  });

  it('refuses what the reference refuses: no path (400 BAD_REQUEST), traversal, an unknown model', async () => {
    const missing = await t.http.get(url(id, '')).expect(400);
    expect(missing.body).toEqual({
      error_code: 'BAD_REQUEST',
      message: 'Request must include the "artifact_file_path" query parameter.',
    });
    for (const path of ['../../../etc/passwd', '%2e%2e/x', '/etc/passwd']) {
      const res = await t.http.get(url(id, `?artifact_file_path=${path}`));
      expect(res.status).toBe(400);
      expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    }
    const unknown = await t.http
      .get(url('m-00000000000000000000000000000000', '?artifact_file_path=MLmodel'))
      .expect(404);
    expect(unknown.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    await t.http.get(url(id, '?artifact_file_path=missing.txt')).expect(404);
  });
});
