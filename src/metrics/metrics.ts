import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Db } from '../db/knex';

/**
 * Prometheus metrics of one app (`GET /metrics`). Request and query figures are this process's; the webhook
 * outbox and event figures are read from the database at scrape time, so they are the cluster's (every
 * replica reports the same value: aggregate them with `max`).
 */
export interface Metrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<'method' | 'route' | 'status_class'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status_class'>;
  readonly httpInFlight: Gauge;
  readonly transferredBytes: Counter<'family' | 'direction'>;
  readonly uploadFailures: Counter<'family' | 'cause'>;
}

/** Model versions created by this process, whichever route created them (MLflow RPC, package upload). */
export const versionCreates = new Counter({
  name: 'semreg_model_versions_created_total',
  help: 'Model versions created by this process (committed).',
  registers: [],
});

/** Wall time of every statement this process sent, by outcome. */
function observeQueries(db: Db, registry: Registry): void {
  const duration = new Histogram({
    name: 'semreg_db_query_duration_seconds',
    help: 'Duration of the SQL statements this process sent.',
    labelNames: ['outcome'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers: [registry],
  });
  const started = new Map<string, number>();
  db.on('query', (query: { __knexQueryUid: string }) => {
    // Every statement ends in query-response or query-error (checked); the bound only guards against a
    // knex change leaving starts unmatched, which would otherwise grow without limit.
    if (started.size >= 10_000) started.clear();
    started.set(query.__knexQueryUid, performance.now());
  });
  const done = (outcome: 'ok' | 'error') => (_: unknown, query: { __knexQueryUid: string }) => {
    const t0 = started.get(query.__knexQueryUid);
    if (t0 === undefined) return;
    started.delete(query.__knexQueryUid);
    duration.observe({ outcome }, (performance.now() - t0) / 1000);
  };
  db.on('query-response', done('ok'));
  db.on('query-error', done('error'));
}

interface PoolStats {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
}

function observePool(db: Db, registry: Registry): void {
  new Gauge({
    name: 'semreg_db_pool_connections',
    help: 'Database connections of this process: used, idle, and requests waiting for one.',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const pool = (db.client as { pool?: PoolStats }).pool;
      this.set({ state: 'used' }, pool?.numUsed() ?? 0);
      this.set({ state: 'idle' }, pool?.numFree() ?? 0);
      this.set({ state: 'waiting' }, pool?.numPendingAcquires() ?? 0);
    },
  });
}

/** Read at scrape time; a failed read leaves the gauges unset rather than failing the scrape. */
function observeLifecycle(db: Db, registry: Registry): void {
  const outbox = new Gauge({
    name: 'semreg_webhook_outbox_pending',
    help: 'Webhook deliveries waiting to be sent or retried.',
    registers: [registry],
  });
  const oldest = new Gauge({
    name: 'semreg_webhook_oldest_pending_age_seconds',
    help: 'Age of the oldest webhook delivery still waiting (0 when none waits).',
    registers: [registry],
  });
  const dead = new Gauge({
    name: 'semreg_webhook_dead_letters',
    help: 'Webhook deliveries given up after their last retry.',
    registers: [registry],
  });
  new Gauge({
    name: 'semreg_events_last_id',
    help: 'Id of the newest lifecycle event; it grows by one per event recorded (rate() = events/s).',
    registers: [registry],
    async collect() {
      const [waiting, deadRows, events] = await Promise.all([
        db('webhook_deliveries')
          .whereIn('status', ['pending', 'failed'])
          .first(db.raw('count(*)::int AS n'), db.raw('min(created_at) AS oldest')),
        db('webhook_deliveries').where({ status: 'dead' }).first(db.raw('count(*)::int AS n')),
        db('events').max({ id: 'id' }).first(),
      ]).catch(() => [undefined, undefined, undefined]);
      if (waiting) {
        outbox.set(Number(waiting.n));
        oldest.set(waiting.oldest ? Math.max(0, (Date.now() - Number(waiting.oldest)) / 1000) : 0);
      }
      if (deadRows) dead.set(Number(deadRows.n));
      if (events) this.set(Number(events.id ?? 0));
    },
  });
}

export function createMetrics(db: Db): Metrics {
  const registry = new Registry();
  const labelNames = ['method', 'route', 'status_class'] as const;
  const metrics: Metrics = {
    registry,
    httpRequests: new Counter({
      name: 'semreg_http_requests_total',
      help: 'HTTP requests answered, by route template (never the raw path) and status class.',
      labelNames,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'semreg_http_request_duration_seconds',
      help: 'Time from a request to the end of its answer.',
      labelNames,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60],
      registers: [registry],
    }),
    httpInFlight: new Gauge({
      name: 'semreg_http_requests_in_flight',
      help: 'Requests being answered now.',
      registers: [registry],
    }),
    transferredBytes: new Counter({
      name: 'semreg_transferred_bytes_total',
      help: 'Bytes of artifact and package files uploaded and downloaded, by route family.',
      labelNames: ['family', 'direction'],
      registers: [registry],
    }),
    uploadFailures: new Counter({
      name: 'semreg_upload_failures_total',
      help: 'Artifact and package uploads that stored nothing, by route family and cause.',
      labelNames: ['family', 'cause'],
      registers: [registry],
    }),
  };
  registry.registerMetric(versionCreates);
  observeQueries(db, registry);
  observePool(db, registry);
  observeLifecycle(db, registry);
  return metrics;
}
