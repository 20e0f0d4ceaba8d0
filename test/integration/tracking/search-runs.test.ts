import { createTestApp, TestApp } from '../../helpers/test-app';
import { MLFLOW_PREFIXES } from '../../helpers/mlflow';
import { API, createExperiment, createRun, logBatch } from './helpers';

describe('POST /api/2.0/mlflow/runs/search', () => {
  let t: TestApp;
  let exp: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await createTestApp();
    exp = await createExperiment(t);
    const specs = [
      { name: 'alpha-run', start: 1000, user: 'alice', acc: 0.9, lr: '0.1', team: 'red', status: 'FINISHED' },
      { name: 'beta-run', start: 2000, user: 'bob', acc: 0.5, lr: '0.01', team: 'blue', status: 'FAILED' },
      { name: 'gamma', start: 3000, user: 'alice', acc: NaN, lr: undefined, team: 'Red', status: 'RUNNING' },
      {
        name: 'delta',
        start: 4000,
        user: 'carol',
        acc: undefined,
        lr: '0.1',
        team: undefined,
        status: 'RUNNING',
      },
    ];
    for (const spec of specs) {
      const run = await createRun(t, exp, {
        run_name: spec.name,
        start_time: spec.start,
        user_id: spec.user,
      });
      const id = run.info.run_id;
      ids[spec.name] = id;
      await logBatch(t, id, {
        metrics:
          spec.acc === undefined
            ? []
            : [{ key: 'acc', value: Number.isNaN(spec.acc) ? 'NaN' : spec.acc, timestamp: 1, step: 0 }],
        params: spec.lr === undefined ? [] : [{ key: 'lr', value: spec.lr }],
        tags: spec.team === undefined ? [] : [{ key: 'team', value: spec.team }],
      });
      if (spec.status !== 'RUNNING')
        await t.http
          .post(`${API}/runs/update`)
          .send({ run_id: id, status: spec.status, end_time: spec.start + 10 })
          .expect(200);
    }
    await t.http
      .post(`${API}/runs/log-inputs`)
      .send({
        run_id: ids['alpha-run'],
        datasets: [
          {
            tags: [{ key: 'mlflow.data.context', value: 'training' }],
            dataset: { name: 'iris', digest: 'd1', source_type: 'local', source: 'x' },
          },
        ],
      })
      .expect(200);
    const deleted = await createRun(t, exp, { run_name: 'deleted-run', start_time: 500 });
    ids['deleted-run'] = deleted.info.run_id;
    await t.http.post(`${API}/runs/delete`).send({ run_id: deleted.info.run_id }).expect(200);
  });
  afterAll(() => t.close());

  const search = async (body: Record<string, unknown>, prefix: string = API) => {
    const res = await t.http.post(`${prefix}/runs/search`).send({ experiment_ids: [exp], ...body });
    if (res.status !== 200) throw new Error(`${res.status} ${JSON.stringify(res.body)}`);
    return res.body as { runs?: any[]; next_page_token?: string };
  };
  const names = (body: { runs?: any[] }) => (body.runs ?? []).map((r) => r.info.run_name);

  it.each(MLFLOW_PREFIXES)('defaults to start_time DESC over active runs (%s)', async (prefix) => {
    expect(names(await search({}, prefix))).toEqual(['delta', 'gamma', 'beta-run', 'alpha-run']);
  });

  it.each([
    ['metrics.acc > 0.6', ['alpha-run']],
    ['metrics.acc >= 0.5', ['beta-run', 'alpha-run']],
    ['metric.acc != 0.9', ['gamma', 'beta-run']],
    ["params.lr = '0.1'", ['delta', 'alpha-run']],
    ["param.lr != '0.1'", ['beta-run']],
    ['params.lr IS NULL', ['gamma']],
    ['params.lr IS NOT NULL', ['delta', 'beta-run', 'alpha-run']],
    ["tags.team = 'red'", ['alpha-run']],
    ["tags.team LIKE 'r%'", ['alpha-run']],
    ["tags.team ILIKE 'r%'", ['gamma', 'alpha-run']],
    ['tags.team IS NULL', ['delta']],
    ["attributes.status = 'FINISHED'", ['alpha-run']],
    ["status != 'RUNNING'", ['beta-run', 'alpha-run']],
    ["attributes.run_name LIKE '%-run'", ['beta-run', 'alpha-run']],
    ["run_name ILIKE 'GAM%'", ['gamma']],
    ["attributes.`Run name` = 'delta'", ['delta']],
    ["attributes.user_id = 'alice'", ['gamma', 'alpha-run']],
    ['attributes.start_time >= 2000 AND attributes.start_time < 4000', ['gamma', 'beta-run']],
    ['attributes.created > 3500', ['delta']],
    ['attributes.end_time > 0', ['beta-run', 'alpha-run']],
    ["datasets.name = 'iris'", ['alpha-run']],
    ["datasets.digest IN ('d1', 'other')", ['alpha-run']],
    ["datasets.context = 'training'", ['alpha-run']],
    ["metrics.acc > 0.1 AND tags.team = 'red' AND params.lr = '0.1'", ['alpha-run']],
  ])('filters %s', async (filter, expected) => {
    expect(names(await search({ filter }))).toEqual(expected);
  });

  it('filters run_id with IN and NOT IN', async () => {
    expect(names(await search({ filter: `attributes.run_id IN ('${ids.gamma}', '${ids.delta}')` }))).toEqual([
      'delta',
      'gamma',
    ]);
    expect(names(await search({ filter: `run_id NOT IN ('${ids.gamma}', '${ids.delta}')` }))).toEqual([
      'beta-run',
      'alpha-run',
    ]);
  });

  it('orders by a metric with NULL and NaN last in both directions', async () => {
    expect(names(await search({ order_by: ['metrics.acc ASC'] }))).toEqual([
      'beta-run',
      'alpha-run',
      'gamma',
      'delta',
    ]);
    expect(names(await search({ order_by: ['metrics.acc DESC'] }))).toEqual([
      'alpha-run',
      'beta-run',
      'gamma',
      'delta',
    ]);
  });

  it('orders by params, tags and attributes', async () => {
    expect(names(await search({ order_by: ['params.lr DESC', 'attributes.run_name'] }))).toEqual([
      'alpha-run',
      'delta',
      'beta-run',
      'gamma',
    ]);
    // code-point order: 'Red' < 'blue' < 'red'; runs without the tag last
    expect(names(await search({ order_by: ['tags.team'] }))).toEqual([
      'gamma',
      'beta-run',
      'alpha-run',
      'delta',
    ]);
    expect(names(await search({ order_by: ['attributes.start_time ASC'] }))).toEqual([
      'alpha-run',
      'beta-run',
      'gamma',
      'delta',
    ]);
    expect(names(await search({ order_by: ['run_name DESC'] }))).toEqual([
      'gamma',
      'delta',
      'beta-run',
      'alpha-run',
    ]);
  });

  it('honours run_view_type', async () => {
    expect(names(await search({ run_view_type: 'DELETED_ONLY' }))).toEqual(['deleted-run']);
    expect(names(await search({ run_view_type: 'ALL' }))).toHaveLength(5);
  });

  it('pages with max_results and next_page_token', async () => {
    const first = await search({ max_results: 3 });
    expect(names(first)).toEqual(['delta', 'gamma', 'beta-run']);
    expect(first.next_page_token).toEqual(expect.any(String));
    const second = await search({ max_results: 3, page_token: first.next_page_token });
    expect(names(second)).toEqual(['alpha-run']);
    expect(second.next_page_token).toBeUndefined();
  });

  it('returns full runs with data and inputs', async () => {
    const [run] = (await search({ filter: "datasets.name = 'iris'" })).runs!;
    expect(run.data.metrics).toEqual([{ key: 'acc', value: 0.9, timestamp: 1, step: 0 }]);
    expect(run.inputs.dataset_inputs[0].dataset.name).toBe('iris');
  });

  it('returns nothing without experiment ids', async () => {
    const res = await t.http.post(`${API}/runs/search`).send({}).expect(200);
    expect(res.body.runs ?? []).toEqual([]);
  });

  it.each([
    [{ max_results: 50001 }, /max_results/],
    [{ filter: "metrics.acc > 'high'" }, /with a number/],
    [{ filter: 'params.lr > 1' }, /LIKE/],
    [{ filter: "attributes.nope = 'x'" }, /unknown attribute/],
    [{ filter: "foo.bar = 'x'" }, /Invalid entity type/],
    [{ filter: "tags.a = 'x' OR tags.b = 'y'" }, /AND/],
    [{ filter: "datasets.schema = 'x'" }, /datasets can be filtered/],
    [{ filter: 'attributes.status IS NULL' }, /IS NULL/],
    [{ order_by: ['metrics.acc SIDEWAYS'] }, /order_by/],
    [{ order_by: ['attributes.nope'] }, /unknown attribute/],
    [{ experiment_ids: ['abc'] }, /experiment_ids/],
    [{ page_token: '%%%' }, /page token/],
    [{ run_view_type: 'NONE' }, /run_view_type/],
  ])('refuses %j with 400 INVALID_PARAMETER_VALUE', async (body, message) => {
    const res = await t.http
      .post(`${API}/runs/search`)
      .send({ experiment_ids: [exp], ...body })
      .expect(400);
    expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(res.body.message).toMatch(message);
  });
});
