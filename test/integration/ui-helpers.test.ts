import { createTestApp, TestApp } from '../helpers/test-app';
import { bearer, mintScopeTokens } from '../helpers/tokens';

/**
 * Issue 14 item 2: what MLflow's web UI asks about the assistant, the AI gateway and UI telemetry gets the
 * reference's answers with those features off (captured from `mlflow server` 3.17.2, telemetry disabled).
 */
describe('MLflow UI helper endpoints', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it.each([
    ['/ajax-api/3.0/mlflow/assistant/config', { providers: {}, projects: {}, remote_access_allowed: false }],
    [
      '/ajax-api/3.0/mlflow/assistant/providers',
      { providers: [], resolved: null, gateway_vendor_options: {} },
    ],
    [
      '/ajax-api/3.0/mlflow/ui-telemetry',
      { disable_ui_events: [], disable_ui_telemetry: true, ui_rollout_percentage: 0 },
    ],
    ['/ajax-api/2.0/mlflow/gateway-proxy', { endpoints: [] }],
    ['/ajax-api/2.0/mlflow/gateway-proxy?gateway_path=api/2.0/endpoints', { endpoints: [] }],
  ])('GET %s answers as the reference with the feature off', async (path, body) => {
    const res = await t.http.get(path).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual(body);
  });

  it('reads and drops posted UI telemetry, and answers an empty gateway to a POST', async () => {
    const telemetry = await t.http
      .post('/ajax-api/3.0/mlflow/ui-telemetry')
      .send({ records: [{ event: 'click', page: '/experiments' }] })
      .expect(200);
    expect(telemetry.body).toEqual({ status: 'disabled' });
    const gateway = await t.http
      .post('/ajax-api/2.0/mlflow/gateway-proxy')
      .send({ gateway_path: 'gateway/chat/invocations', json_data: {} })
      .expect(200);
    expect(gateway.body).toEqual({ endpoints: [] });
  });

  it('needs a token of any scope with AUTH=on, like the other server metadata', async () => {
    const secured = await createTestApp({ AUTH: 'on' });
    try {
      await secured.http.get('/ajax-api/3.0/mlflow/assistant/config').expect(401);
      const { read } = await mintScopeTokens(secured);
      await secured.http.get('/ajax-api/3.0/mlflow/assistant/config').set(bearer(read)).expect(200);
    } finally {
      await secured.close();
    }
  });
});
