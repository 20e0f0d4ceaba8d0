import { createTestApp, TestApp } from '../../helpers/test-app';
import { API, createExperiment, createRun, logBatch } from './helpers';

/**
 * The web UI's bulk metric routes (mlflow-compat.md §3.4), checked in the reference server's order and
 * words (mlflow/server/handlers.py `get_metric_history_bulk_handler`, `get_metric_history_bulk_interval_handler`).
 */
describe('metric history for many runs', () => {
  let t: TestApp;
  let exp: string;
  beforeAll(async () => {
    t = await createTestApp();
    exp = await createExperiment(t);
  });
  afterAll(() => t.close());

  const runWith = async (points: Array<{ timestamp: number; step: number; value: number }>) => {
    const id = (await createRun(t, exp)).info.run_id as string;
    await logBatch(t, id, { metrics: points.map((p) => ({ key: 'm', ...p })) });
    return id;
  };

  describe('GET /ajax-api/2.0/mlflow/metrics/get-history-bulk', () => {
    const url = '/ajax-api/2.0/mlflow/metrics/get-history-bulk';

    it('returns each run by run id, then timestamp, step and value, with run_id on each', async () => {
      const points = [
        { timestamp: 2, step: 3, value: 12 },
        { timestamp: 1, step: 3, value: 12 },
        { timestamp: 1, step: 3, value: 11 },
        { timestamp: 1, step: 2, value: 10 },
      ];
      const [a, b] = [await runWith(points), await runWith(points)].sort();
      const res = await t.http.get(`${url}?run_id=${b}&run_id=${a}&metric_key=m`).expect(200);
      const expected = (id: string) =>
        [
          { timestamp: 1, step: 2, value: 10 },
          { timestamp: 1, step: 3, value: 11 },
          { timestamp: 1, step: 3, value: 12 },
          { timestamp: 2, step: 3, value: 12 },
        ].map((p) => ({ key: 'm', ...p, run_id: id }));
      expect(res.body.metrics).toEqual([...expected(a), ...expected(b)]);
    });

    it('stops after max_results values in all', async () => {
      const id = await runWith([1, 2, 3].map((i) => ({ timestamp: i, step: i, value: i })));
      const res = await t.http.get(url).query({ run_id: id, metric_key: 'm', max_results: '2' }).expect(200);
      expect(res.body.metrics.map((m: { step: number }) => m.step)).toEqual([1, 2]);
    });

    it('is mirrored under /api/2.0/mlflow', async () => {
      const id = await runWith([{ timestamp: 1, step: 0, value: 1 }]);
      const res = await t.http.get(`${API}/metrics/get-history-bulk`).query({ run_id: id, metric_key: 'm' });
      expect(res.status).toBe(200);
      expect(res.body.metrics).toHaveLength(1);
    });

    it.each([
      ['no run_id', 'metric_key=m', 'GetMetricHistoryBulk request must specify at least one run_id.'],
      ['no metric_key', 'run_id=r1', 'GetMetricHistoryBulk request must specify a metric_key.'],
      [
        '101 run ids',
        `${Array.from({ length: 101 }, (_, i) => `run_id=r${i}`).join('&')}&metric_key=m`,
        'GetMetricHistoryBulk request cannot specify more than 100 run_ids. Received 101 run_ids.',
      ],
    ])('refuses %s', async (_what, query, message) => {
      const res = await t.http.get(`${url}?${query}`).expect(400);
      expect(res.body).toEqual({ error_code: 'INVALID_PARAMETER_VALUE', message });
    });
  });

  describe('GET /ajax-api/2.0/mlflow/metrics/get-history-bulk-interval', () => {
    const url = '/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval';

    it('samples each run on its own like the reference: NTILE buckets, the last point kept', async () => {
      const ten = await runWith(Array.from({ length: 10 }, (_, i) => ({ timestamp: 1, step: i, value: 10 })));
      const twenty = await runWith(
        Array.from({ length: 20 }, (_, i) => ({ timestamp: 1, step: i, value: 10 })),
      );
      const res = await t.http
        .get(`${url}?run_ids=${ten}&run_ids=${twenty}&metric_key=m&max_results=5`)
        .expect(200);
      const steps = (id: string) =>
        res.body.metrics
          .filter((m: { run_id: string }) => m.run_id === id)
          .map((m: { step: number }) => m.step);
      expect(steps(ten)).toEqual([0, 2, 4, 6, 9]);
      expect(steps(twenty)).toEqual([0, 4, 8, 12, 19]);
      expect(res.body.metrics[0].run_id).toBe(ten); // runs in the order asked
    });

    it('still reads the metric_key of a request with 1000 run ids (no query-key cap)', async () => {
      const ids = Array.from({ length: 1000 }, (_, i) => `run_ids=id_${i}`).join('&');
      const res = await t.http.get(`${url}?${ids}&metric_key=m`).expect(400);
      expect(res.body.message).toBe(
        'GetMetricHistoryBulkInterval request must specify at most 100 run_ids. Received 1000 run_ids.' +
          ' See the API docs for more information about request parameters.',
      );
    });

    it.each([
      ['metric_key=m', "Missing value for required parameter 'run_ids'."],
      ['run_ids=r&metric_key=', "Missing value for required parameter 'metric_key'."],
      ['run_ids=r&max_results=5', "Missing value for required parameter 'metric_key'."],
      ['run_ids=r&metric_key=m&max_results=0', 'max_results must be between 1 and 2500.'],
      [
        'run_ids=r&metric_key=m&start_step=1&end_step=0&max_results=5',
        'end_step must be greater than start_step. Found start_step=1 and end_step=0.',
      ],
      [
        'run_ids=r&metric_key=m&start_step=1&max_results=5',
        'If either start step or end step are specified, both must be specified.',
      ],
    ])('refuses %s', async (query, message) => {
      const res = await t.http.get(`${url}?${query}`).expect(400);
      expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
      expect(res.body.message).toContain(message);
    });

    it('answers 404 for a run that does not exist, as the reference does', async () => {
      const res = await t.http.get(`${url}?run_ids=nope&metric_key=m`).expect(404);
      expect(res.body).toEqual({
        error_code: 'RESOURCE_DOES_NOT_EXIST',
        message: 'Run with id=nope not found',
      });
    });
  });
});
