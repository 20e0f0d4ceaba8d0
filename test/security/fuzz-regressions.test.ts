import { createTestApp, TestApp } from '../helpers/test-app';
import { MLFLOW_PREFIXES } from '../helpers/mlflow';
import { expectMlflowError } from './support';

/**
 * One regression test per finding of `npm run fuzz` (schemathesis 4.32.5; figures in docs/security.md).
 */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe.each(MLFLOW_PREFIXES)('%s', (prefix) => {
  // Fuzz finding 1: operations whose request body is a shared `$ref: '#/components/requestBodies/…'` were not
  // validated at all, so `{"experiment_id": {}}` reached the handler and crashed it (500).
  it.each([
    ['experiments/delete', { experiment_id: {} }],
    ['experiments/restore', { experiment_id: {} }],
    ['experiments/delete', { experiment_id: ['0'] }],
    ['runs/delete', { run_id: {} }],
    ['runs/restore', { run_id: 12 }],
    ['experiments/delete', {}],
  ])('%s refuses %j with a 400', async (endpoint, body) => {
    expectMlflowError(await t.http.post(`${prefix}/${endpoint}`).send(body), 400, 'INVALID_PARAMETER_VALUE');
  });

  // Fuzz finding 2: a start_time past Number.MAX_SAFE_INTEGER came back as a string, which the documented
  // RunInfo schema (`start_time: integer`) did not allow. MLflow keeps any non-negative int64 exact (issue
  // 14), so semreg now does too, and the schema documents the int64 as a number or a decimal string.
  it('runs/create with start_time 18700198116749764 keeps it exact, as the schema documents it', async () => {
    const res = await t.http
      .post(`${prefix}/runs/create`)
      .set('Content-Type', 'application/json')
      .send('{"experiment_id":"0","start_time":18700198116749764}')
      .expect(200);
    expect(res.body.run.info.start_time).toBe('18700198116749764');
  });
});

// Fuzz finding 3: two concurrent runs/update calls on one run deadlocked in PostgreSQL
// (run_tags upsert vs the runs row, 40P01) and answered 500. A deadlock is transient: it must at worst be the
// retryable 503 TEMPORARILY_UNAVAILABLE, never a 500 whose body the client loses (mlflow-compat.md §2.4).
it('concurrent updates, tags and log-batch on one run never answer 500', async () => {
  const created = await t.http.post('/api/2.0/mlflow/runs/create').send({ experiment_id: '0' }).expect(200);
  const runId = created.body.run.info.run_id as string;
  // The fuzzer's stateful phase mixed update, set-tag and log-batch on one run from two workers.
  const calls = Array.from({ length: 30 }, (_v, i) => {
    if (i % 3 === 0)
      return t.http
        .post('/api/2.0/mlflow/runs/update')
        .send({ run_id: runId, run_name: `name-${i}`, status: 'RUNNING' });
    if (i % 3 === 1)
      return t.http
        .post('/api/2.0/mlflow/runs/set-tag')
        .send({ run_id: runId, key: 'mlflow.runName', value: `tag-${i}` });
    return t.http.post('/api/2.0/mlflow/runs/log-batch').send({
      run_id: runId,
      tags: [
        { key: 'mlflow.runName', value: `b-${i}` },
        { key: 'k', value: `${i}` },
      ],
    });
  });
  const statuses = await Promise.all(
    calls.map((call) => call.then((res) => `${res.status} ${res.body.error_code ?? ''}`.trim())),
  );
  // Every writer locks the runs row first, so they queue instead of deadlocking: all succeed.
  expect(statuses.filter((s) => s !== '200')).toEqual([]);
});
