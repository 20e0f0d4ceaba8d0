import { recordEvent } from '../../../src/lifecycle/events';
import { WebhookWorker, WebhookWorkerOptions } from '../../../src/lifecycle/webhook-worker';
import { createTestApp, TestApp } from '../../helpers/test-app';
import { startWebhookReceiver, verifyMlflowSignature } from '../../helpers/webhook-receiver';

/**
 * The outbox worker against real receivers: deliveries are written with the change, signed like MLflow's,
 * retried with backoff, dead-lettered, redelivered by hand, and never lost or doubled across workers.
 */
const SECRET = 'whsec-test';

describe('webhook delivery worker', () => {
  let t: TestApp;
  let receivers: Array<{ close(): Promise<void> }> = [];
  beforeAll(async () => {
    t = await createTestApp({ WEBHOOK_ALLOW_PRIVATE: 'true' });
  });
  afterEach(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    receivers = [];
    // Keep tests independent: every webhook (and its deliveries) goes.
    await t.db('webhooks').delete();
  });
  afterAll(async () => {
    await t.close();
  });

  function worker(options: WebhookWorkerOptions = {}): WebhookWorker {
    return new WebhookWorker(t.db, t.config, t.ctx.log, { baseDelayMs: 0, ...options });
  }

  async function receiver(respond?: Parameters<typeof startWebhookReceiver>[0]) {
    const r = await startWebhookReceiver(respond);
    receivers.push(r);
    return r;
  }

  async function subscribe(
    url: string,
    events = [{ entity: 'MODEL_VERSION', action: 'CREATED' }],
  ): Promise<string> {
    const res = await t.http
      .post('/api/2.0/mlflow/webhooks')
      .send({ name: 'hook', url, events, secret: SECRET })
      .expect(200);
    return res.body.webhook.webhook_id;
  }

  async function versionCreated(version = 1, model = 'churn'): Promise<void> {
    await t.db.transaction((trx) =>
      recordEvent(trx, {
        type: 'version.created',
        model,
        version,
        semver: `1.0.${version}`,
        after: {
          source: 'models:/m-1',
          run_id: 'r1',
          tags: [{ key: 'a', value: 'b' }],
          description: 'd',
          current_stage: 'None',
        },
      }),
    );
  }

  async function deliveries(webhookId: string) {
    const res = await t.http.get(`/api/webhooks/${webhookId}/deliveries`).expect(200);
    return res.body.deliveries;
  }

  it('delivers MLflow’s envelope with a signature that MLflow’s documented verifier accepts', async () => {
    const r = await receiver();
    const id = await subscribe(r.url);
    await versionCreated(1);
    expect(await worker().runOnce()).toBe(1);

    expect(r.received).toHaveLength(1);
    const hit = r.received[0];
    expect(verifyMlflowSignature(hit, SECRET)).toBe(true);
    expect(verifyMlflowSignature(hit, 'wrong-secret')).toBe(false);
    expect(hit.headers['content-type']).toBe('application/json');
    expect(hit.json).toEqual({
      entity: 'model_version',
      action: 'created',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      data: {
        name: 'churn',
        version: '1',
        source: 'models:/m-1',
        run_id: 'r1',
        tags: { a: 'b' },
        description: 'd',
        semver: '1.0.1',
      },
    });
    const [delivery] = await deliveries(id);
    expect(delivery).toMatchObject({
      id: hit.headers['x-mlflow-delivery-id'],
      status: 'succeeded',
      attempts: 1,
      response_code: 200,
    });
    expect(delivery.latency_ms).toEqual(expect.any(Number));
  });

  it('writes nothing when the change rolls back (transactional outbox)', async () => {
    const r = await receiver();
    const id = await subscribe(r.url);
    await expect(
      t.db.transaction(async (trx) => {
        await recordEvent(trx, { type: 'version.created', model: 'churn', version: 9, after: {} });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await worker().runOnce()).toBe(0);
    expect(await deliveries(id)).toEqual([]);
    expect(r.received).toHaveLength(0);
  });

  it('skips webhooks that are disabled or subscribed to other events', async () => {
    const r = await receiver();
    await subscribe(r.url, [{ entity: 'MODEL_VERSION_TAG', action: 'SET' }]);
    const disabled = await subscribe(r.url);
    await t.http.patch(`/api/2.0/mlflow/webhooks/${disabled}`).send({ status: 'DISABLED' }).expect(200);
    await versionCreated(1);
    expect(await worker().runOnce()).toBe(0);
    expect(r.received).toHaveLength(0);
  });

  it('retries a receiver that fails 3 times, then succeeds, logging every attempt', async () => {
    const r = await receiver((index) => (index < 3 ? 503 : 200));
    const id = await subscribe(r.url);
    await versionCreated(1);
    const w = worker();
    for (let pass = 0; pass < 4; pass += 1) expect(await w.runOnce()).toBe(1);
    expect(await w.runOnce()).toBe(0);
    expect(r.received).toHaveLength(4);
    // The same delivery id every time, so receivers can deduplicate; each attempt signed afresh.
    expect(new Set(r.received.map((h) => h.headers['x-mlflow-delivery-id'])).size).toBe(1);
    expect(r.received.every((h) => verifyMlflowSignature(h, SECRET))).toBe(true);
    const [delivery] = await deliveries(id);
    expect(delivery).toMatchObject({
      status: 'succeeded',
      attempts: 4,
      response_code: 200,
      last_error: null,
    });
    const attempts = await t
      .db('webhook_delivery_attempts')
      .where({ delivery_id: delivery.id })
      .orderBy('attempt');
    expect(attempts.map((a) => a.response_code)).toEqual([503, 503, 503, 200]);
  });

  it('backs off exponentially: a failed delivery is not due again at once', async () => {
    const r = await receiver(() => 500);
    const id = await subscribe(r.url);
    await versionCreated(1);
    const w = worker({ baseDelayMs: 60_000 });
    expect(await w.runOnce()).toBe(1);
    expect(await w.runOnce()).toBe(0);
    const [delivery] = await deliveries(id);
    expect(delivery.status).toBe('failed');
    // Equal jitter: between half and all of the base delay.
    expect(delivery.next_attempt_at - delivery.last_attempt_at).toBeGreaterThanOrEqual(29_000);
    expect(delivery.next_attempt_at - delivery.last_attempt_at).toBeLessThanOrEqual(61_000);
    expect(delivery.last_error).toContain('HTTP 500');
  });

  it('dead-letters after the retry window, and redelivers by hand', async () => {
    let healthy = false;
    const r = await receiver(() => (healthy ? 200 : 500));
    const id = await subscribe(r.url);
    await versionCreated(1);
    expect(await worker({ maxAgeMs: 0 }).runOnce()).toBe(1);
    let [delivery] = await deliveries(id);
    expect(delivery).toMatchObject({
      status: 'dead',
      attempts: 1,
      response_code: 500,
      next_attempt_at: null,
    });
    expect(await worker().runOnce()).toBe(0);

    healthy = true;
    const res = await t.http.post(`/api/webhooks/${id}/deliveries/${delivery.id}/redeliver`).expect(200);
    expect(res.body.delivery).toMatchObject({ id: delivery.id, status: 'pending' });
    expect(await worker().runOnce()).toBe(1);
    [delivery] = await deliveries(id);
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 2, response_code: 200 });
    const missing = await t.http
      .post(`/api/webhooks/${id}/deliveries/00000000-0000-4000-8000-000000000000/redeliver`)
      .expect(404);
    expect(missing.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('a restarted worker re-sends a delivery whose sender died mid-request; the stale sender cannot overwrite it', async () => {
    // First request: the receiver stalls, like a process killed while waiting for the answer.
    const r = await receiver((index) => (index === 0 ? 'hang' : 200));
    const id = await subscribe(r.url);
    await versionCreated(1);
    const crashed = worker({ leaseMs: 300, timeoutMs: 5_000 });
    const stalled = crashed.runOnce();
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(r.received).toHaveLength(1);

    const restarted = worker({ leaseMs: 300 });
    expect(await restarted.runOnce()).toBe(1);
    expect(r.received).toHaveLength(2);
    expect(r.received[1].headers['x-mlflow-delivery-id']).toBe(r.received[0].headers['x-mlflow-delivery-id']);

    await r.close(); // the stalled request now fails on the stale sender's side
    await stalled;
    const [delivery] = await deliveries(id);
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 2, response_code: 200 });
  });

  it('two workers share the outbox without sending anything twice (FOR UPDATE SKIP LOCKED)', async () => {
    const r = await receiver();
    const id = await subscribe(r.url);
    for (let v = 1; v <= 40; v += 1) await versionCreated(v);
    const a = worker({ batchSize: 7 });
    const b = worker({ batchSize: 7 });
    let total = 0;
    for (;;) {
      const [sentA, sentB] = await Promise.all([a.runOnce(), b.runOnce()]);
      total += sentA + sentB;
      if (sentA + sentB === 0) break;
    }
    expect(total).toBe(40);
    expect(r.received).toHaveLength(40);
    expect(new Set(r.received.map((h) => h.json.data.version)).size).toBe(40);
    const res = await t.http
      .get(`/api/webhooks/${id}/deliveries`)
      .query({ status: 'succeeded', max_results: 1000 })
      .expect(200);
    expect(res.body.deliveries).toHaveLength(40);
  });

  it('the started worker delivers on its own, woken by NOTIFY at commit', async () => {
    const r = await receiver();
    await subscribe(r.url);
    const w = worker({ pollIntervalMs: 60_000 });
    w.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 300)); // LISTEN is set up
      await versionCreated(1);
      for (let i = 0; i < 50 && r.received.length === 0; i += 1)
        await new Promise((resolve) => setTimeout(resolve, 50));
      expect(r.received).toHaveLength(1);
    } finally {
      await w.stop();
    }
  });
});
