import { createTestApp, TestApp } from '../../helpers/test-app';
import { API, createExperiment, createRun } from './helpers';

/**
 * Request-validation refusals in the reference server's words (mlflow/server/handlers.py
 * `_validate_param_against_schema`, mlflow/utils/validation.py `invalid_value`): MLflow's UI and tests match
 * on "Invalid value <json> for parameter '<name>' supplied" and "Missing value for required parameter
 * '<name>'", with the value shown as Python's json.dumps shows it.
 */
describe('request validation messages', () => {
  let t: TestApp;
  let runId: string;
  beforeAll(async () => {
    t = await createTestApp();
    runId = (await createRun(t, await createExperiment(t))).info.run_id;
  });
  afterAll(() => t.close());

  const refusal = async (path: string, body: unknown) => {
    const res = await t.http
      .post(`${API}${path}`)
      .send(body as object)
      .expect(400);
    expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    return res.body.message as string;
  };

  it('names a number sent for a string field, with its Python type', async () => {
    const message = await refusal('/runs/log-metric', { run_id: 31, key: 'm', value: 1, timestamp: 1 });
    expect(message).toBe(
      "Invalid value 31 for parameter 'run_id' supplied:  Hint: Value was of type 'int'. " +
        'See the API docs for more information about request parameters.',
    );
  });

  it('quotes a string sent for a number field, as json.dumps does', async () => {
    const message = await refusal('/runs/log-metric', {
      run_id: runId,
      key: 'm',
      value: 1,
      timestamp: 1,
      step: 'foo',
    });
    expect(message).toContain(`Invalid value "foo" for parameter 'step' supplied`);
  });

  it('keeps a float a float: 9.0 is shown as 9.0, of type float', async () => {
    const res = await t.http
      .post(`${API}/experiments/create`)
      .set('Content-Type', 'application/json')
      .send('{"name": "x", "artifact_location": 9.0}')
      .expect(400);
    expect(res.body.message).toContain(
      "Invalid value 9.0 for parameter 'artifact_location' supplied:  Hint: Value was of type 'float'.",
    );
  });

  it('shows a list as compact JSON with sorted keys', async () => {
    const message = await refusal('/experiments/create', { name: [{ b: 1, a: 'é' }] });
    expect(message).toContain(`Invalid value [{"a":"\\u00e9","b":1}] for parameter 'name' supplied`);
  });

  it.each(['metrics', 'params', 'tags'])('refuses a string for the list %s of log-batch', async (field) => {
    const message = await refusal('/runs/log-batch', { run_id: runId, [field]: 'foo' });
    expect(message).toContain(`Invalid value "foo" for parameter '${field}' supplied`);
  });

  it('names a missing nested field with its index, as the reference does', async () => {
    const message = await refusal('/runs/log-batch', {
      run_id: runId,
      metrics: [{ key: 'mae', value: 2.5 }],
    });
    expect(message).toContain("Missing value for required parameter 'metrics[0].timestamp'.");
  });

  it('treats a null required field as missing', async () => {
    const message = await refusal('/runs/log-metric', { run_id: runId, key: null, value: 1, timestamp: 1 });
    expect(message).toContain("Missing value for required parameter 'key'.");
  });

  it('words an out-of-range max_results of runs/search like the reference', async () => {
    const message = await refusal('/runs/search', { experiment_ids: ['0'], max_results: 123456789 });
    expect(message).toMatch(/^Invalid value 123456789 for parameter 'max_results' supplied: /);
  });

  it('answers a traversal with exactly "Invalid path", the rule in details', async () => {
    const res = await t.http
      .get(`${API}/artifacts/list`)
      .query({ run_id: runId, path: '../path' })
      .expect(400);
    expect(res.body).toEqual({
      error_code: 'INVALID_PARAMETER_VALUE',
      message: 'Invalid path',
      details: `"../path": '..' segments are not allowed.`,
    });
  });
});
