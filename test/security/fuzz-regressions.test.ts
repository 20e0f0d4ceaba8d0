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

  // Fuzz finding 2 (tracking, reported): a start_time past Number.MAX_SAFE_INTEGER is echoed back as a string,
  // which the documented RunInfo schema (`start_time: integer`) does not allow. Either the request must be
  // refused or the response schema must say Int64. `.failing` until that is fixed — then drop `.failing`.
  it.failing('runs/create with start_time 18700198116749764 answers 400 or a schema-valid integer', async () => {
    const res = await t.http.post(`${prefix}/runs/create`).send({ experiment_id: '0', start_time: 18700198116749764 });
    if (res.status === 200) expect(typeof res.body.run.info.start_time).toBe('number');
    else expectMlflowError(res, 400, 'INVALID_PARAMETER_VALUE');
  });
});
