import { createTestApp, TestApp } from '../../helpers/test-app';
import { MLFLOW_PREFIXES } from '../../helpers/mlflow';
import { startWebhookReceiver, verifyMlflowSignature } from '../../helpers/webhook-receiver';

const MV_CREATED = { entity: 'MODEL_VERSION', action: 'CREATED' };

describe('MLflow webhooks API (/api/2.0/mlflow/webhooks)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ WEBHOOK_ALLOW_PRIVATE: 'true' });
  });
  afterAll(async () => {
    await t.close();
  });

  it.each(MLFLOW_PREFIXES)(
    'creates, gets, lists, updates and deletes a webhook under %s, never returning the secret',
    async (prefix) => {
      const created = await t.http
        .post(`${prefix}/webhooks`)
        .send({
          name: 'ci-hook',
          url: 'http://127.0.0.1:9/hook',
          events: [MV_CREATED],
          secret: 's3cret',
          description: 'd',
        })
        .expect(200);
      const webhook = created.body.webhook;
      expect(webhook).toEqual({
        webhook_id: expect.stringMatching(/^[0-9a-f]{32}$/),
        name: 'ci-hook',
        description: 'd',
        url: 'http://127.0.0.1:9/hook',
        events: [MV_CREATED],
        status: 'ACTIVE',
        creation_timestamp: expect.any(Number),
        last_updated_timestamp: expect.any(Number),
      });
      expect(JSON.stringify(created.body)).not.toContain('s3cret');

      const got = await t.http.get(`${prefix}/webhooks/${webhook.webhook_id}`).expect(200);
      expect(got.body.webhook).toEqual(webhook);

      const patched = await t.http
        .patch(`${prefix}/webhooks/${webhook.webhook_id}`)
        .send({ status: 'DISABLED', events: [{ entity: 'model_version_alias', action: 'created' }] })
        .expect(200);
      expect(patched.body.webhook.status).toBe('DISABLED');
      expect(patched.body.webhook.events).toEqual([{ entity: 'MODEL_VERSION_ALIAS', action: 'CREATED' }]);

      const listed = await t.http.get(`${prefix}/webhooks`).query({ max_results: 1000 }).expect(200);
      expect(listed.body.webhooks.map((w: { webhook_id: string }) => w.webhook_id)).toContain(
        webhook.webhook_id,
      );
      expect(JSON.stringify(listed.body)).not.toContain('s3cret');

      await t.http.delete(`${prefix}/webhooks/${webhook.webhook_id}`).expect(200, {});
      const gone = await t.http.get(`${prefix}/webhooks/${webhook.webhook_id}`).expect(404);
      expect(gone.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    },
  );

  it('pages the list with max_results and page_token', async () => {
    for (const name of ['p1', 'p2', 'p3']) {
      await t.http
        .post('/api/2.0/mlflow/webhooks')
        .send({ name, url: 'http://127.0.0.1:9/', events: [MV_CREATED] })
        .expect(200);
    }
    const first = await t.http.get('/api/2.0/mlflow/webhooks').query({ max_results: 2 }).expect(200);
    expect(first.body.webhooks).toHaveLength(2);
    expect(first.body.next_page_token).toEqual(expect.any(String));
    const second = await t.http
      .get('/api/2.0/mlflow/webhooks')
      .query({ max_results: 2, page_token: first.body.next_page_token })
      .expect(200);
    const ids = [...first.body.webhooks, ...second.body.webhooks].map(
      (w: { webhook_id: string }) => w.webhook_id,
    );
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each([
    [{ url: 'http://127.0.0.1/', events: [MV_CREATED] }, "'name'"],
    [{ name: 'x', events: [MV_CREATED] }, "'url'"],
    [{ name: 'x', url: 'http://127.0.0.1/', events: [] }, 'events cannot be empty'],
    [
      { name: 'x', url: 'http://127.0.0.1/', events: [{ entity: 'MODEL_VERSION', action: 'EXCEEDED' }] },
      'Invalid webhook event',
    ],
    [{ name: '-bad', url: 'http://127.0.0.1/', events: [MV_CREATED] }, 'Invalid webhook name'],
    [{ name: 'x', url: 'file:///etc/passwd', events: [MV_CREATED] }, 'scheme'],
    [{ name: 'x', url: 'http://127.0.0.1/', events: [MV_CREATED], status: 'MAYBE' }, 'status'],
  ])('refuses %j with 400 INVALID_PARAMETER_VALUE', async (body, message) => {
    const res = await t.http.post('/api/2.0/mlflow/webhooks').send(body).expect(400);
    expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(res.body.message).toContain(message);
  });

  it('test sends a signed example payload and reports the receiver answer', async () => {
    const receiver = await startWebhookReceiver(() => 200);
    try {
      const { body } = await t.http
        .post('/api/2.0/mlflow/webhooks')
        .send({ name: 'tester', url: receiver.url, events: [MV_CREATED], secret: 'k' })
        .expect(200);
      const res = await t.http
        .post(`/api/2.0/mlflow/webhooks/${body.webhook.webhook_id}/test`)
        .send({})
        .expect(200);
      expect(res.body.result).toEqual({ success: true, response_status: 200, response_body: 'ok' });
      expect(receiver.received).toHaveLength(1);
      expect(verifyMlflowSignature(receiver.received[0], 'k')).toBe(true);
      expect(receiver.received[0].json).toMatchObject({
        entity: 'model_version',
        action: 'created',
        data: { name: 'example_model', version: '1' },
      });
    } finally {
      await receiver.close();
    }
  });
});

describe('webhook URLs without WEBHOOK_ALLOW_PRIVATE', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it.each([
    'http://127.0.0.1:8080/',
    'http://localhost/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[::1]/',
    'http://10.1.2.3/',
    'http://[::ffff:127.0.0.1]/',
  ])('refuses %s at create time', async (url) => {
    const res = await t.http
      .post('/api/2.0/mlflow/webhooks')
      .send({ name: 'x', url, events: [MV_CREATED] })
      .expect(400);
    expect(res.body.message).toContain('not allowed');
  });
});
