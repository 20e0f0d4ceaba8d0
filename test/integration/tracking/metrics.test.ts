import { createTestApp, TestApp } from '../../helpers/test-app';
import { MLFLOW_PREFIXES } from '../../helpers/mlflow';
import { API, createExperiment, createRun, getRun, logBatch } from './helpers';

describe('MLflow metrics, params and log-batch', () => {
  let t: TestApp;
  let exp: string;
  beforeAll(async () => {
    t = await createTestApp();
    exp = await createExperiment(t);
  });
  afterAll(() => t.close());

  const history = async (runId: string, key: string, extra: Record<string, string> = {}) =>
    (
      await t.http
        .get(`${API}/metrics/get-history`)
        .query({ run_id: runId, run_uuid: runId, metric_key: key, ...extra })
        .expect(200)
    ).body;

  describe.each(MLFLOW_PREFIXES)('under %s', (prefix) => {
    it('logs a metric and a param', async () => {
      const run = await createRun(t, exp);
      const id = run.info.run_id;
      await t.http
        .post(`${prefix}/runs/log-metric`)
        .send({ run_id: id, run_uuid: id, key: 'rmse', value: 0.7, timestamp: 1000, step: 3 })
        .expect(200);
      await t.http
        .post(`${prefix}/runs/log-parameter`)
        .send({ run_id: id, run_uuid: id, key: 'alpha', value: '0.5' })
        .expect(200);
      const got = (await t.http.get(`${prefix}/runs/get`).query({ run_id: id }).expect(200)).body.run;
      expect(got.data.metrics).toEqual([{ key: 'rmse', value: 0.7, timestamp: 1000, step: 3 }]);
      expect(got.data.params).toEqual([{ key: 'alpha', value: '0.5' }]);
    });
  });

  it('round-trips NaN, Infinity and -Infinity as strings (never null)', async () => {
    const run = await createRun(t, exp);
    const id = run.info.run_id;
    await logBatch(t, id, {
      metrics: [
        { key: 'nan', value: 'NaN', timestamp: 1, step: 0 },
        { key: 'inf', value: 'Infinity', timestamp: 1, step: 0 },
        { key: 'ninf', value: '-Infinity', timestamp: 1, step: 0 },
      ],
    });
    const res = await t.http.get(`${API}/runs/get`).query({ run_id: id }).expect(200);
    expect(res.text).toContain('"value":"NaN"');
    expect(res.text).toContain('"value":"Infinity"');
    expect(res.text).toContain('"value":"-Infinity"');
    expect(res.text).not.toContain('"value":null');
    expect((await history(id, 'nan')).metrics).toEqual([{ key: 'nan', value: 'NaN', timestamp: 1, step: 0 }]);
  });

  it('refuses a non-numeric metric value', async () => {
    const run = await createRun(t, exp);
    const res = await t.http
      .post(`${API}/runs/log-metric`)
      .send({ run_id: run.info.run_id, key: 'm', value: 'abc', timestamp: 1 })
      .expect(400);
    expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    const missing = await t.http
      .post(`${API}/runs/log-metric`)
      .send({ run_id: run.info.run_id, key: 'm', value: 1 })
      .expect(400);
    expect(missing.body.message).toMatch(/timestamp/);
  });

  it('accepts int64 timestamps and steps as strings, including steps past MAX_SAFE_INTEGER', async () => {
    const run = await createRun(t, exp);
    const id = run.info.run_id;
    await t.http
      .post(`${API}/runs/log-metric`)
      .send({ run_id: id, key: 'm', value: 1.5, timestamp: '1700000000000', step: '9007199254740993' })
      .expect(200);
    const got = await getRun(t, id);
    expect(got.data.metrics).toEqual([
      { key: 'm', value: 1.5, timestamp: 1700000000000, step: '9007199254740993' },
    ]);
    const out = await t.http
      .post(`${API}/runs/log-metric`)
      .send({ run_id: id, key: 'm', value: 1, timestamp: 1, step: '9223372036854775808' })
      .expect(400);
    expect(out.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    const negative = await t.http
      .post(`${API}/runs/log-metric`)
      .send({ run_id: id, key: 'm', value: 1, timestamp: -5 })
      .expect(400);
    expect(negative.body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('keeps int64 numbers past 2^53 exact: steps, timestamps and run times, as the reference does', async () => {
    const run = await createRun(t, exp);
    const id = run.info.run_id;
    // Raw JSON: a client sends these as numbers, which JSON.parse would round to ...976.
    const post = (path: string, json: string) =>
      t.http.post(`${API}/${path}`).set('Content-Type', 'application/json').send(json);
    await post(
      'runs/log-batch',
      `{"run_id":"${id}","metrics":[{"key":"m","value":10000000000000000001,"timestamp":9007199254740993,"step":1152921504606846979}]}`,
    ).expect(200);
    await post('runs/update', `{"run_id":"${id}","status":"FINISHED","end_time":9223372036854775807}`).expect(
      200,
    );
    const history = await t.http
      .get(`${API}/metrics/get-history`)
      .query({ run_id: id, metric_key: 'm' })
      .expect(200);
    expect(history.body.metrics).toEqual([
      { key: 'm', value: 1e19, timestamp: '9007199254740993', step: '1152921504606846979' },
    ]);
    const got = await getRun(t, id);
    expect(got.info.end_time).toBe('9223372036854775807');
    expect(got.data.metrics[0].step).toBe('1152921504606846979');
    // Past int64 stays refused.
    const out = await post(
      'runs/log-metric',
      `{"run_id":"${id}","key":"m","value":1,"timestamp":1,"step":9223372036854775808}`,
    ).expect(400);
    expect(out.body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('shows the latest value per key: highest step, then latest timestamp, then largest value', async () => {
    const run = await createRun(t, exp);
    const id = run.info.run_id;
    await logBatch(t, id, {
      metrics: [
        { key: 'm', value: 5, timestamp: 100, step: 2 },
        { key: 'm', value: 1, timestamp: 50, step: 7 },
        { key: 'm', value: 3, timestamp: 60, step: 7 },
      ],
    });
    await t.http
      .post(`${API}/runs/log-metric`)
      .send({ run_id: id, key: 'm', value: 9, timestamp: 999, step: 1 })
      .expect(200);
    expect((await getRun(t, id)).data.metrics).toEqual([{ key: 'm', value: 3, timestamp: 60, step: 7 }]);
  });

  it('keeps params write-once: the same value is a no-op, a different one is 400', async () => {
    const run = await createRun(t, exp);
    const id = run.info.run_id;
    await t.http.post(`${API}/runs/log-parameter`).send({ run_id: id, key: 'p', value: 'a' }).expect(200);
    await t.http.post(`${API}/runs/log-parameter`).send({ run_id: id, key: 'p', value: 'a' }).expect(200);
    const res = await t.http
      .post(`${API}/runs/log-parameter`)
      .send({ run_id: id, key: 'p', value: 'b' })
      .expect(400);
    expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(res.body.message).toMatch(/Changing param values is not allowed/);
    const batch = await t.http
      .post(`${API}/runs/log-batch`)
      .send({ run_id: id, params: [{ key: 'p', value: 'c' }] })
      .expect(400);
    expect(batch.body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('truncates param values past 6000 characters', async () => {
    const run = await createRun(t, exp);
    await t.http
      .post(`${API}/runs/log-parameter`)
      .send({ run_id: run.info.run_id, key: 'long', value: 'z'.repeat(7000) })
      .expect(200);
    expect((await getRun(t, run.info.run_id)).data.params[0].value).toHaveLength(6000);
  });

  it('deduplicates a replayed metric', async () => {
    const run = await createRun(t, exp);
    const id = run.info.run_id;
    const body = { run_id: id, key: 'm', value: 1, timestamp: 5, step: 1 };
    await t.http.post(`${API}/runs/log-metric`).send(body).expect(200);
    await t.http.post(`${API}/runs/log-metric`).send(body).expect(200);
    expect((await history(id, 'm')).metrics).toHaveLength(1);
  });

  describe('log-batch', () => {
    it('writes params, metrics and tags together', async () => {
      const run = await createRun(t, exp);
      const id = run.info.run_id;
      await logBatch(t, id, {
        metrics: [{ key: 'acc', value: 0.9, timestamp: 10, step: 1, run_id: id }],
        params: [{ key: 'lr', value: '0.01' }],
        tags: [
          { key: 'stage', value: 'a' },
          { key: 'stage', value: 'b' },
        ],
      });
      const got = await getRun(t, id);
      expect(got.data.metrics).toEqual([{ key: 'acc', value: 0.9, timestamp: 10, step: 1 }]);
      expect(got.data.params).toEqual([{ key: 'lr', value: '0.01' }]);
      expect(got.data.tags).toContainEqual({ key: 'stage', value: 'b' });
    });

    it('is one transaction: a refused param leaves no metric or tag behind', async () => {
      const run = await createRun(t, exp);
      const id = run.info.run_id;
      await t.http.post(`${API}/runs/log-parameter`).send({ run_id: id, key: 'p', value: 'old' }).expect(200);
      await t.http
        .post(`${API}/runs/log-batch`)
        .send({
          run_id: id,
          metrics: [{ key: 'm', value: 1, timestamp: 1 }],
          params: [{ key: 'p', value: 'new' }],
          tags: [{ key: 't', value: 'v' }],
        })
        .expect(400);
      const got = await getRun(t, id);
      expect(got.data.metrics).toBeUndefined();
      expect(got.data.tags.find((tag: any) => tag.key === 't')).toBeUndefined();
    });

    const metric = (i: number) => ({ key: `m${i % 10}`, value: i, timestamp: i, step: i });
    const kv = (i: number) => ({ key: `k${i}`, value: 'v' });

    it('accepts exactly 1000 metrics', async () => {
      const run = await createRun(t, exp);
      await logBatch(t, run.info.run_id, { metrics: Array.from({ length: 1000 }, (_, i) => metric(i)) });
      expect((await history(run.info.run_id, 'm3')).metrics).toHaveLength(100);
    });

    it.each([
      [
        '1001 metrics',
        { metrics: Array.from({ length: 1001 }, (_, i) => metric(i)) },
        /at most 1000 metrics/,
      ],
      ['101 params', { params: Array.from({ length: 101 }, (_, i) => kv(i)) }, /at most 100 params/],
      ['101 tags', { tags: Array.from({ length: 101 }, (_, i) => kv(i)) }, /at most 100 tags/],
      [
        '1001 entities in total',
        {
          metrics: Array.from({ length: 901 }, (_, i) => metric(i)),
          params: Array.from({ length: 100 }, (_, i) => kv(i)),
        },
        /in total/,
      ],
      ['a repeated param key', { params: [kv(1), kv(1)] }, /Duplicate parameter keys/],
      ['a metric without timestamp', { metrics: [{ key: 'm', value: 1 }] }, /timestamp/],
      ['a metric without key', { metrics: [{ value: 1, timestamp: 1 }] }, /key/],
      ['a param without key', { params: [{ value: 'v' }] }, /key/],
      [
        'a body over 1,000,000 characters',
        { tags: [{ key: 'big', value: 'x'.repeat(1_000_001) }] },
        /at most 1000000 bytes/,
      ],
    ])('refuses %s with 400 and writes nothing', async (_label, body, message) => {
      const run = await createRun(t, exp);
      const res = await t.http
        .post(`${API}/runs/log-batch`)
        .send({ run_id: run.info.run_id, ...body })
        .expect(400);
      expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
      expect(res.body.message).toMatch(message);
      const got = await getRun(t, run.info.run_id);
      expect(got.data.metrics).toBeUndefined();
      expect(got.data.params).toBeUndefined();
    });

    it('refuses a missing run with 404', async () => {
      const res = await t.http
        .post(`${API}/runs/log-batch`)
        .send({ run_id: 'ffffffffffffffffffffffffffffffff', metrics: [metric(1)] })
        .expect(404);
      expect(res.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    });
  });

  describe('metrics/get-history', () => {
    it('pages in timestamp, step order and honours max_results=25000', async () => {
      const run = await createRun(t, exp);
      const id = run.info.run_id;
      await logBatch(t, id, {
        metrics: [3, 1, 2, 5, 4].map((i) => ({ key: 'loss', value: i / 10, timestamp: i * 100, step: i })),
      });
      const all = await history(id, 'loss', { max_results: '25000' });
      expect(all.metrics.map((m: any) => m.step)).toEqual([1, 2, 3, 4, 5]);
      expect(all.next_page_token).toBeUndefined();
      const first = await history(id, 'loss', { max_results: '2' });
      expect(first.metrics.map((m: any) => m.step)).toEqual([1, 2]);
      const second = await history(id, 'loss', { max_results: '2', page_token: first.next_page_token });
      expect(second.metrics.map((m: any) => m.step)).toEqual([3, 4]);
      const third = await history(id, 'loss', { max_results: '2', page_token: second.next_page_token });
      expect(third.metrics.map((m: any) => m.step)).toEqual([5]);
      expect(third.next_page_token).toBeUndefined();
    });

    it('answers an unknown key with no metrics, an unknown run with 404 and bad max_results with 400', async () => {
      const run = await createRun(t, exp);
      expect((await history(run.info.run_id, 'nothing')).metrics).toEqual([]);
      await t.http
        .get(`${API}/metrics/get-history`)
        .query({ run_id: 'ffffffffffffffffffffffffffffffff', metric_key: 'm' })
        .expect(404);
      const bad = await t.http
        .get(`${API}/metrics/get-history`)
        .query({ run_id: run.info.run_id, metric_key: 'm', max_results: 'abc' })
        .expect(400);
      expect(bad.body.error_code).toBe('INVALID_PARAMETER_VALUE');
      const noKey = await t.http
        .get(`${API}/metrics/get-history`)
        .query({ run_id: run.info.run_id })
        .expect(400);
      expect(noKey.body.message).toMatch(/metric_key/);
    });
  });

  describe('metrics/get-history-bulk-interval', () => {
    it('samples steps across runs, keeping the first and the last', async () => {
      const a = await createRun(t, exp);
      const b = await createRun(t, exp);
      for (const run of [a, b]) {
        await logBatch(t, run.info.run_id, {
          metrics: Array.from({ length: 10 }, (_, i) => ({ key: 'x', value: i, timestamp: i, step: i })),
        });
      }
      const res = await t.http
        .get(`${API}/metrics/get-history-bulk-interval`)
        .query(`run_ids=${a.info.run_id}&run_ids=${b.info.run_id}&metric_key=x&max_results=4`)
        .expect(200);
      const steps = res.body.metrics.filter((m: any) => m.run_id === a.info.run_id).map((m: any) => m.step);
      expect(steps).toEqual([0, 3, 6, 9]);
      expect(res.body.metrics).toHaveLength(8);
      const ranged = await t.http
        .get(`${API}/metrics/get-history-bulk-interval`)
        .query({ run_ids: a.info.run_id, metric_key: 'x', start_step: '2', end_step: '4' })
        .expect(200);
      expect(ranged.body.metrics.map((m: any) => m.step)).toEqual([2, 3, 4]);
    });

    it.each([
      [{ metric_key: 'x', start_step: '1' }, /both must be specified/],
      [{ metric_key: 'x', max_results: '2501' }, /max_results/],
      [{ metric_key: 'x', max_results: '0' }, /max_results/],
    ])('refuses %j', async (query, message) => {
      const res = await t.http
        .get(`${API}/metrics/get-history-bulk-interval`)
        .query({ run_ids: 'abc', ...query })
        .expect(400);
      expect(res.body.message).toMatch(message);
    });

    it('refuses more than 100 run ids', async () => {
      const ids = Array.from({ length: 101 }, (_, i) => `run_ids=r${i}`).join('&');
      const res = await t.http
        .get(`${API}/metrics/get-history-bulk-interval?${ids}&metric_key=x`)
        .expect(400);
      expect(res.body.message).toMatch(/at most 100 run_ids/);
    });
  });
});

describe('concurrent writers', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('lets exactly one of ten racing different param values win', async () => {
    const exp = await createExperiment(t);
    const run = await createRun(t, exp);
    const id = run.info.run_id;
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        t.http.post(`${API}/runs/log-parameter`).send({ run_id: id, key: 'p', value: `v${i}` }),
      ),
    );
    const winners = results.filter((res) => res.status === 200);
    expect(winners).toHaveLength(1);
    expect(results.filter((res) => res.status === 400)).toHaveLength(9);
    const stored = (await getRun(t, id)).data.params[0].value;
    const winnerIndex = results.indexOf(winners[0]);
    expect(stored).toBe(`v${winnerIndex}`);
  });

  it('keeps the latest metric correct when batches race', async () => {
    const exp = await createExperiment(t);
    const run = await createRun(t, exp);
    const id = run.info.run_id;
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        logBatch(t, id, { metrics: [{ key: 'm', value: i, timestamp: 100 - i, step: i }] }),
      ),
    );
    expect((await getRun(t, id)).data.metrics).toEqual([{ key: 'm', value: 9, timestamp: 91, step: 9 }]);
  });
});
