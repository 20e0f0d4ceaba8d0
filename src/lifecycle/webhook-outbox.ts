import type { Knex } from 'knex';
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
 * Inserts an event row (`columns`) and, in the same statement, one pending delivery per ACTIVE webhook
 * subscribed to each notification of `event` (the same event before it has an id: payloads never carry it).
 * One INSERT … SELECT per notification keeps the cost flat in the number of webhooks; one statement for
 * both keeps every registry write, most of them made while a model's row is locked, a round trip shorter.
 * NOTIFYs the worker when a delivery was queued. Returns the inserted row.
 */
export async function insertEventWithDeliveries<Row>(
  trx: Queryable,
  columns: Record<string, Knex.Value>,
  event: Omit<EventRecord, 'id'>,
): Promise<Row> {
  const now = Date.now();
  const names = Object.keys(columns);
  const ctes = [
    `event AS (INSERT INTO events (${names.map((name) => `"${name}"`).join(', ')})
       VALUES (${names.map(() => '?').join(', ')}) RETURNING *)`,
  ];
  const bindings: Knex.Value[] = names.map((name) => columns[name]);
  notificationsFor(event).forEach((notification, i) => {
    ctes.push(`queued${i} AS (
       INSERT INTO webhook_deliveries (id, webhook_id, event_id, event, payload, status, next_attempt_at, created_at, retry_from)
       SELECT gen_random_uuid(), w.id, event.id, ?, ?, 'pending', ?, ?, ?
       FROM webhooks w, event WHERE w.status = 'ACTIVE' AND ? = ANY(w.events) RETURNING 1)`);
    const payload = envelope(notification.event, event.time, notification.data);
    bindings.push(notification.event, payload, now, now, now, notification.event);
  });
  const queued = ctes.slice(1).map((_, i) => `(SELECT count(*) FROM queued${i})`);
  const { rows } = await trx.raw(
    `WITH ${ctes.join(',\n')} SELECT event.*, (${queued.join(' + ') || '0'})::int AS queued FROM event`,
    bindings,
  );
  const { queued: count, ...row } = rows[0];
  if (count > 0) await trx.raw('SELECT pg_notify(?, ?)', [OUTBOX_CHANNEL, '']);
  return row as Row;
}
