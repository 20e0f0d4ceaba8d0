import type { Knex } from 'knex';
import type { Queryable } from '../db/knex';
import { prepared } from '../db/prepared';
import type { EventRecord } from './events';
import { notificationsFor } from './webhook-events';

/** Channel the worker LISTENs on; NOTIFY is transactional, so it fires only when the change commits. */
export const OUTBOX_CHANNEL = 'semreg_webhook_outbox';

/** MLflow's envelope: `{entity, action, timestamp, data}` (mlflow/webhooks/delivery.py). */
export function envelope(eventKey: string, time: number, data: Record<string, unknown>): string {
  const [entity, action] = eventKey.split('.');
  return JSON.stringify({ entity, action, timestamp: new Date(time).toISOString(), data });
}

/** The columns of `events` a recorded event fills: every one but its id. */
export const EVENT_COLUMNS = [
  'type',
  'time',
  'actor',
  'model',
  'registered_model_id',
  'version',
  'semver',
  'stage',
  'alias',
  'before',
  'after',
  'ci_job_id',
] as const;

export type EventColumns = Record<(typeof EVENT_COLUMNS)[number], Knex.Value>;

const EVENT_COLUMN_LIST = EVENT_COLUMNS.map((name) => `"${name}"`).join(', ');
const EVENT_INSERT = `event AS (INSERT INTO events (${EVENT_COLUMN_LIST})
       VALUES (${EVENT_COLUMNS.map(() => '?').join(', ')}) RETURNING id, ${EVENT_COLUMN_LIST})`;

/**
 * Inserts an event row (`columns`) and, in the same statement, one pending delivery per ACTIVE webhook
 * subscribed to each notification of `event` (the same event before it has an id: payloads never carry it).
 * One INSERT … SELECT per notification keeps the cost flat in the number of webhooks; one statement for
 * both keeps every registry write, most of them made while a model's row is locked, a round trip shorter.
 * The statement's text depends only on the number of notifications, so it runs prepared under a name per
 * number. NOTIFYs the worker when a delivery was queued. Returns the inserted row.
 */
export async function insertEventWithDeliveries<Row>(
  trx: Queryable,
  columns: EventColumns,
  event: Omit<EventRecord, 'id'>,
): Promise<Row> {
  const now = Date.now();
  const ctes = [EVENT_INSERT];
  const bindings: Knex.Value[] = EVENT_COLUMNS.map((name) => columns[name]);
  const notifications = notificationsFor(event);
  notifications.forEach((notification, i) => {
    ctes.push(`queued${i} AS (
       INSERT INTO webhook_deliveries (id, webhook_id, event_id, event, payload, status, next_attempt_at, created_at, retry_from)
       SELECT gen_random_uuid(), w.id, event.id, ?, ?, 'pending', ?, ?, ?
       FROM webhooks w, event WHERE w.status = 'ACTIVE' AND ? = ANY(w.events) RETURNING 1)`);
    const payload = envelope(notification.event, event.time, notification.data);
    bindings.push(notification.event, payload, now, now, now, notification.event);
  });
  const queued = ctes.slice(1).map((_, i) => `(SELECT count(*) FROM queued${i})`);
  const { rows } = await prepared(
    `record-event-${notifications.length}`,
    trx.raw(
      `WITH ${ctes.join(',\n')} SELECT event.*, (${queued.join(' + ') || '0'})::int AS queued FROM event`,
      bindings,
    ),
  );
  const { queued: count, ...row } = rows[0];
  if (count > 0) await trx.raw('SELECT pg_notify(?, ?)', [OUTBOX_CHANNEL, '']);
  return row as Row;
}
