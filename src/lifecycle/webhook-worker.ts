import pg from 'pg';
import type { Config } from '../config';
import type { Db } from '../db/knex';
import type { Logger } from '../log';
import { guardedFetch } from '../net/guarded-fetch';
import { OUTBOX_CHANNEL } from './webhook-outbox';
import { deliveryHeaders } from './webhook-signature';

/**
 * Sends the webhook outbox. All state lives in `webhook_deliveries`, so the worker survives restarts and runs
 * safely in several server processes at once:
 * - a delivery is claimed with `FOR UPDATE SKIP LOCKED` and leased (next_attempt_at pushed past the request
 *   timeout) in one short transaction; the HTTP call runs outside any transaction;
 * - if the process dies mid-delivery, the lease expires and another worker sends it again (at-least-once;
 *   the delivery id stays the same, so receivers can deduplicate on X-MLflow-Delivery-Id);
 * - failures retry with exponential backoff and jitter until the retry window (24 h) is used up, then the
 *   delivery is dead-lettered (`status = 'dead'`) and can be redelivered by hand.
 */
export interface WebhookWorkerOptions {
  batchSize?: number;
  pollIntervalMs?: number;
  timeoutMs?: number;
  /** How long a claimed delivery stays invisible to other workers; must exceed timeoutMs. */
  leaseMs?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Retry window; past it a failing delivery is dead-lettered. */
  maxAgeMs?: number;
}

interface ClaimedDelivery {
  id: string;
  payload: string;
  attempts: number;
  retry_from: number;
  url: string;
  secret: string | null;
}

const DEFAULTS: Required<WebhookWorkerOptions> = {
  batchSize: 20,
  pollIntervalMs: 1000,
  timeoutMs: 10_000,
  leaseMs: 30_000,
  baseDelayMs: 10_000,
  maxDelayMs: 60 * 60_000,
  maxAgeMs: 24 * 60 * 60_000,
};

/** Bytes of a receiver's answer kept in the log: enough for an error message, not a flood. */
const LOGGED_RESPONSE_BYTES = 1024;

export class WebhookWorker {
  private readonly options: Required<WebhookWorkerOptions>;
  private timer: NodeJS.Timeout | undefined;
  private listener: pg.Client | undefined;
  private running: Promise<number> | undefined;
  private wakeRequested = false;
  private stopped = true;

  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly log: Logger,
    options: WebhookWorkerOptions = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  /** Claims every due delivery (up to a batch), sends them, records the outcomes; returns how many it sent. */
  async runOnce(): Promise<number> {
    const claimed = await this.claim();
    await Promise.all(claimed.map((delivery) => this.send(delivery)));
    return claimed.length;
  }

  private async claim(): Promise<ClaimedDelivery[]> {
    const now = Date.now();
    const result = await this.db.raw(
      `UPDATE webhook_deliveries d
          SET next_attempt_at = ?, attempts = d.attempts + 1, last_attempt_at = ?
         FROM webhooks w
        WHERE w.id = d.webhook_id
          AND d.id IN (
            SELECT d2.id FROM webhook_deliveries d2 JOIN webhooks w2 ON w2.id = d2.webhook_id
             WHERE d2.status IN ('pending', 'failed') AND d2.next_attempt_at <= ? AND w2.status = 'ACTIVE'
             ORDER BY d2.next_attempt_at
             LIMIT ?
             FOR UPDATE OF d2 SKIP LOCKED)
      RETURNING d.id, d.payload, d.attempts, d.retry_from, w.url, w.secret`,
      [now + this.options.leaseMs, now, now, this.options.batchSize],
    );
    return result.rows as ClaimedDelivery[];
  }

  private async send(delivery: ClaimedDelivery): Promise<void> {
    const started = Date.now();
    let responseCode: number | null = null;
    let error: string | null = null;
    try {
      const response = await guardedFetch(delivery.url, {
        method: 'POST',
        body: delivery.payload,
        headers: deliveryHeaders(delivery.secret, delivery.id, delivery.payload, started),
        timeoutMs: this.options.timeoutMs,
        maxResponseBytes: LOGGED_RESPONSE_BYTES,
        allowPrivate: this.config.webhookAllowPrivate,
      });
      responseCode = response.status;
      if (!response.ok)
        error = `HTTP ${response.status}${response.body ? `: ${response.body.slice(0, 200)}` : ''}`;
    } catch (err) {
      error = (err as Error).message;
    }
    const finished = Date.now();
    await this.record(delivery, { responseCode, error, latencyMs: finished - started, finished });
  }

  private nextDelay(attempts: number): number {
    const exponential = Math.min(
      this.options.baseDelayMs * 2 ** Math.min(attempts - 1, 30),
      this.options.maxDelayMs,
    );
    // Equal jitter: half fixed, half random, so a receiver that comes back is not hit by every retry at once.
    return Math.round(exponential / 2 + Math.random() * (exponential / 2));
  }

  private async record(
    delivery: ClaimedDelivery,
    outcome: { responseCode: number | null; error: string | null; latencyMs: number; finished: number },
  ): Promise<void> {
    const { responseCode, error, latencyMs, finished } = outcome;
    let status: 'succeeded' | 'failed' | 'dead' = 'succeeded';
    let nextAttemptAt = finished;
    if (error !== null) {
      nextAttemptAt = finished + this.nextDelay(delivery.attempts);
      status = nextAttemptAt - delivery.retry_from > this.options.maxAgeMs ? 'dead' : 'failed';
    }
    await this.db.transaction(async (trx) => {
      // `attempts` guards against a stale worker whose lease ran out and whose delivery was re-claimed.
      const updated = await trx('webhook_deliveries')
        .where({ id: delivery.id, attempts: delivery.attempts })
        .update({
          status,
          next_attempt_at: nextAttemptAt,
          response_code: responseCode,
          latency_ms: latencyMs,
          last_error: error,
          completed_at: status === 'failed' ? null : finished,
        });
      if (updated === 0) return;
      await trx('webhook_delivery_attempts').insert({
        delivery_id: delivery.id,
        attempt: delivery.attempts,
        time: finished,
        response_code: responseCode,
        latency_ms: latencyMs,
        error,
      });
    });
    if (status === 'dead') this.log.warn({ delivery: delivery.id, error }, 'webhook delivery dead-lettered');
  }

  /** Polls, and wakes early on NOTIFY from a committed change (any process). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.listen();
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
    await this.listener?.end().catch(() => undefined);
    this.listener = undefined;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), delayMs);
  }

  private async tick(): Promise<void> {
    if (this.running) {
      this.wakeRequested = true;
      return;
    }
    let sent = 0;
    this.running = this.runOnce();
    try {
      sent = await this.running;
    } catch (err) {
      this.log.warn({ err }, 'webhook worker pass failed; retrying');
    } finally {
      this.running = undefined;
    }
    const more = sent >= this.options.batchSize || this.wakeRequested;
    this.wakeRequested = false;
    this.schedule(more ? 0 : this.options.pollIntervalMs);
  }

  private async listen(): Promise<void> {
    const connection = (this.db.client.config as { connection?: { connectionString?: string } }).connection;
    if (!connection?.connectionString) return;
    try {
      const client = new pg.Client({
        connectionString: connection.connectionString,
        application_name: 'semreg-webhooks',
      });
      client.on('error', () => undefined); // polling carries on if the listener connection drops
      client.on('notification', () => this.schedule(0));
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
      if (this.stopped) await client.end();
      else this.listener = client;
    } catch (err) {
      this.log.warn({ err }, 'webhook worker cannot LISTEN; falling back to polling');
    }
  }
}
