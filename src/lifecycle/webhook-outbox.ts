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

/**
 * Values a statement decides while it runs (a new version's number and semver), which the event and payloads
 * rendered before it must carry. The renderer writes a placeholder where each value goes, a random token that
 * no stored text can contain; the statement takes the event's columns from the row of the CTE `from` and swaps
 * each placeholder, as a JSON string, for the value's JSON text.
 */
export interface DecidedValues {
  from: string;
  /** Event columns taken from that row: column → SQL expression. */
  columns: Partial<Record<keyof EventColumns, string>>;
  /** Each placeholder and the SQL expression of the JSON text that replaces it. */
  placeholders: Array<{ token: string; json: string }>;
}

/** The SQL of a JSON text bound as `text`, with the decided values put in (plain `?` when there are none). */
function jsonText(text: Knex.Value, bindings: Knex.Value[], decided: DecidedValues | undefined): string {
  let sql = '?';
  bindings.push(text);
  for (const { token, json } of decided?.placeholders ?? []) {
    sql = `replace(${sql}, ?, ${json})`;
    bindings.push(JSON.stringify(token));
  }
  return sql;
}

/**
 * CTEs for a statement of the caller's. The last, `notified`, NOTIFYs the worker (at commit) when a delivery was
 * queued: the statement must read it (`FROM …, notified`), as a CTE that nothing reads does not run.
 */
export interface EventCtes {
  sql: string;
  bindings: Knex.Value[];
  /** The number of notifications: with `decided`, all the text depends on (for the prepared statement's name). */
  notifications: number;
}

/**
 * The CTEs that insert an event row (`columns`) as `event` and, in the same statement, one pending delivery per
 * ACTIVE webhook subscribed to each notification of `event` (the same event before it has an id: payloads never
 * carry it). One INSERT … SELECT per notification keeps the cost flat in the number of webhooks; one statement
 * for all of it keeps every registry write, most of them made while a model's row is locked, round trips
 * shorter. The text depends only on the number of notifications and on `decided`, so it runs prepared.
 */
export function eventCtes(
  columns: EventColumns,
  event: Omit<EventRecord, 'id'>,
  decided?: DecidedValues,
): EventCtes {
  const now = Date.now();
  const bindings: Knex.Value[] = [];
  const values = EVENT_COLUMNS.map((name) => {
    const fromRow = decided?.columns[name];
    if (fromRow) return fromRow;
    if (name === 'before' || name === 'after')
      return `CAST(${jsonText(columns[name], bindings, decided)} AS jsonb)`;
    bindings.push(columns[name]);
    return '?';
  });
  const from = decided ? ` FROM ${decided.from}` : '';
  const ctes = [
    `event AS (INSERT INTO events (${EVENT_COLUMN_LIST}) SELECT ${values.join(', ')}${from}
       RETURNING id, ${EVENT_COLUMN_LIST})`,
  ];
  const notifications = notificationsFor(event);
  notifications.forEach((notification, i) => {
    bindings.push(notification.event);
    const payload = jsonText(envelope(notification.event, event.time, notification.data), bindings, decided);
    ctes.push(`queued${i} AS (
       INSERT INTO webhook_deliveries (id, webhook_id, event_id, event, payload, status, next_attempt_at, created_at, retry_from)
       SELECT gen_random_uuid(), w.id, event.id, ?, ${payload}, 'pending', ?, ?, ?
       FROM webhooks w, event${decided ? `, ${decided.from}` : ''} WHERE w.status = 'ACTIVE' AND ? = ANY(w.events) RETURNING 1)`);
    bindings.push(now, now, now, notification.event);
  });
  const queued = ctes.slice(1).map((_, i) => `(SELECT count(*) FROM queued${i})`);
  ctes.push(`notified AS (SELECT CASE WHEN ${queued.join(' + ') || '0'} > 0 THEN pg_notify(?, '') END)`);
  bindings.push(OUTBOX_CHANNEL);
  return { sql: ctes.join(',\n'), bindings, notifications: notifications.length };
}

/** Inserts an event row and queues its deliveries (eventCtes) in one statement. Returns the inserted row. */
export async function insertEventWithDeliveries<Row>(
  trx: Queryable,
  columns: EventColumns,
  event: Omit<EventRecord, 'id'>,
): Promise<Row> {
  const ctes = eventCtes(columns, event);
  const { rows } = await prepared(
    `record-event-${ctes.notifications}`,
    trx.raw(`WITH ${ctes.sql} SELECT event.* FROM event, notified`, ctes.bindings),
  );
  return rows[0] as Row;
}
