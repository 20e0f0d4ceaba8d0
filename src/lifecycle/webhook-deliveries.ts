import type { Queryable } from '../db/knex';
import { invalidParameter, notFound } from '../errors';
import { decodePageToken, encodePageToken } from '../search/page-token';
import { OUTBOX_CHANNEL } from './webhook-outbox';
import { findWebhook } from './webhooks';

/** The delivery log of one webhook (`GET /api/webhooks/<id>/deliveries`) and manual redelivery. */
export interface DeliveryJson {
  id: string;
  event: string;
  event_id: number | null;
  status: 'pending' | 'succeeded' | 'failed' | 'dead';
  attempts: number;
  response_code: number | null;
  latency_ms: number | null;
  last_error: string | null;
  created_at: number;
  last_attempt_at: number | null;
  next_attempt_at: number | null;
  completed_at: number | null;
}

const COLUMNS = [
  'id',
  'event',
  'event_id',
  'status',
  'attempts',
  'response_code',
  'latency_ms',
  'last_error',
  'created_at',
  'last_attempt_at',
  'next_attempt_at',
  'completed_at',
];
const STATUSES = ['pending', 'succeeded', 'failed', 'dead'];

function toJson(row: DeliveryJson): DeliveryJson {
  // A finished delivery has no next attempt.
  return {
    ...row,
    next_attempt_at: row.status === 'succeeded' || row.status === 'dead' ? null : row.next_attempt_at,
  };
}

export async function listDeliveries(
  db: Queryable,
  webhookId: string,
  query: { status?: string; max_results?: number; page_token?: string },
): Promise<{ deliveries: DeliveryJson[]; next_page_token?: string }> {
  await findWebhook(db, webhookId);
  const maxResults = query.max_results ?? 100;
  if (!Number.isSafeInteger(maxResults) || maxResults < 1 || maxResults > 1000) {
    throw invalidParameter(
      `Invalid value ${maxResults} for parameter 'max_results': must be between 1 and 1000.`,
    );
  }
  if (query.status !== undefined && !STATUSES.includes(query.status)) {
    throw invalidParameter(
      `Invalid delivery status '${query.status.slice(0, 50)}': one of ${STATUSES.join(', ')}.`,
    );
  }
  const binding = `${webhookId}:${query.status ?? ''}`;
  const offset = decodePageToken(query.page_token, binding);
  const builder = db('webhook_deliveries')
    .select(COLUMNS)
    .where({ webhook_id: webhookId })
    .orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id' }])
    .offset(offset)
    .limit(maxResults + 1);
  if (query.status) builder.where({ status: query.status });
  const rows = (await builder) as DeliveryJson[];
  const page = rows.slice(0, maxResults).map(toJson);
  return rows.length > maxResults
    ? { deliveries: page, next_page_token: encodePageToken(offset + maxResults, binding) }
    : { deliveries: page };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Puts a delivery back in the queue, due now, with a fresh retry window; the delivery id is kept. */
export async function redeliver(db: Queryable, webhookId: string, deliveryId: string): Promise<DeliveryJson> {
  await findWebhook(db, webhookId);
  if (!UUID.test(deliveryId))
    throw notFound(`Delivery ${deliveryId.slice(0, 64)} of webhook ${webhookId} not found.`);
  const now = Date.now();
  const [row] = await db('webhook_deliveries')
    .where({ id: deliveryId, webhook_id: webhookId })
    .update({ status: 'pending', next_attempt_at: now, retry_from: now, completed_at: null })
    .returning(COLUMNS);
  if (!row) throw notFound(`Delivery ${deliveryId} of webhook ${webhookId} not found.`);
  await db.raw('SELECT pg_notify(?, ?)', [OUTBOX_CHANNEL, '']);
  return toJson(row as DeliveryJson);
}
