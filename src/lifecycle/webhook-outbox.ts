import type { Queryable } from '../db/knex';
import type { EventRecord } from './events';
import { notificationsFor } from './webhook-events';

/** Channel the worker LISTENs on; NOTIFY is transactional, so it fires only when the change commits. */
export const OUTBOX_CHANNEL = 'semreg_webhook_outbox';

/** MLflow's envelope: `{entity, action, timestamp, data}` (mlflow/webhooks/delivery.py). */
export function envelope(eventKey: string, time: number, data: Record<string, unknown>): string {
  const [entity, action] = eventKey.split('.');
  return JSON.stringify({ entity, action, timestamp: new Date(time).toISOString(), data });
}

/**
 * Writes one pending delivery per ACTIVE webhook subscribed to each notification of `event`, in the caller's
 * transaction. One INSERT … SELECT per notification keeps the cost flat in the number of webhooks.
 */
export async function enqueueDeliveries(trx: Queryable, event: EventRecord): Promise<number> {
  let queued = 0;
  const now = Date.now();
  for (const notification of notificationsFor(event)) {
    const payload = envelope(notification.event, event.time, notification.data);
    const result = await trx.raw(
      `INSERT INTO webhook_deliveries (id, webhook_id, event_id, event, payload, status, next_attempt_at, created_at, retry_from)
       SELECT gen_random_uuid(), w.id, ?, ?, ?, 'pending', ?, ?, ?
       FROM webhooks w WHERE w.status = 'ACTIVE' AND ? = ANY(w.events)`,
      [event.id, notification.event, payload, now, now, now, notification.event],
    );
    queued += result.rowCount ?? 0;
  }
  if (queued > 0) await trx.raw('SELECT pg_notify(?, ?)', [OUTBOX_CHANNEL, '']);
  return queued;
}
