import crypto from 'node:crypto';
import type { Config } from '../config';
import type { Queryable } from '../db/knex';
import { invalidParameter, missingParameter, notFound } from '../errors';
import { guardedFetch, validateOutboundUrl } from '../net/guarded-fetch';
import { decodePageToken, encodePageToken } from '../search/page-token';
import { envelope } from './webhook-outbox';
import { examplePayload, eventKey, WireEvent, wireEvent } from './webhook-events';
import { deliveryHeaders } from './webhook-signature';

/** MLflow 3's webhook registry (`/api/2.0/mlflow/webhooks`, mlflow-compat.md §3.9). */
export type WebhookStatus = 'ACTIVE' | 'DISABLED';

export interface WebhookRow {
  id: string;
  name: string;
  description: string | null;
  url: string;
  secret: string | null;
  events: string[];
  status: WebhookStatus;
  creation_timestamp: number;
  last_updated_timestamp: number;
}

export interface WebhookJson {
  webhook_id: string;
  name: string;
  description?: string;
  url: string;
  events: WireEvent[];
  status: WebhookStatus;
  creation_timestamp: number;
  last_updated_timestamp: number;
}

/** The secret is never returned (MLflow's Webhook.to_proto leaves it out too). */
export function webhookToJson(row: WebhookRow): WebhookJson {
  return {
    webhook_id: row.id,
    name: row.name,
    ...(row.description ? { description: row.description } : {}),
    url: row.url,
    events: row.events.map(wireEvent),
    status: row.status,
    creation_timestamp: row.creation_timestamp,
    last_updated_timestamp: row.last_updated_timestamp,
  };
}

const NAME_RULE = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;
const MAX_SECRET = 1000;
const MAX_DESCRIPTION = 1000;

function validateName(name: string): string {
  if (!NAME_RULE.test(name)) {
    throw invalidParameter(
      `Invalid webhook name '${name.slice(0, 100)}': 1-63 characters from letters, digits, '.', '_' and '-', starting and ending with a letter or digit.`,
    );
  }
  return name;
}

function validateEvents(events: WireEvent[] | undefined): string[] {
  if (!events || events.length === 0) throw invalidParameter('Webhook events cannot be empty.');
  return [...new Set(events.map(eventKey))];
}

function validateStatus(status: string | undefined): WebhookStatus | undefined {
  if (status === undefined) return undefined;
  const upper = status.toUpperCase();
  if (upper !== 'ACTIVE' && upper !== 'DISABLED')
    throw invalidParameter(`Invalid webhook status '${status.slice(0, 50)}': ACTIVE or DISABLED.`);
  return upper;
}

function validateText(value: string | undefined, field: string, max: number): string | undefined {
  if (value !== undefined && value.length > max)
    throw invalidParameter(`Webhook ${field} is longer than ${max} characters.`);
  return value;
}

export interface CreateWebhookInput {
  name?: string;
  url?: string;
  events?: WireEvent[];
  description?: string;
  secret?: string;
  status?: string;
}

export async function createWebhook(
  db: Queryable,
  config: Config,
  input: CreateWebhookInput,
): Promise<WebhookJson> {
  if (!input.name) throw missingParameter('name');
  if (!input.url) throw missingParameter('url');
  const name = validateName(input.name);
  await validateOutboundUrl(input.url, config.webhookAllowPrivate);
  const events = validateEvents(input.events);
  const now = Date.now();
  const [row] = await db<WebhookRow>('webhooks')
    .insert({
      id: crypto.randomUUID().replace(/-/g, ''),
      name,
      description: validateText(input.description, 'description', MAX_DESCRIPTION) ?? null,
      url: input.url,
      secret: validateText(input.secret, 'secret', MAX_SECRET) || null,
      events,
      status: validateStatus(input.status) ?? 'ACTIVE',
      creation_timestamp: now,
      last_updated_timestamp: now,
    })
    .returning('*');
  return webhookToJson(row as WebhookRow);
}

export async function findWebhook(db: Queryable, id: string): Promise<WebhookRow> {
  const row = await db<WebhookRow>('webhooks').where({ id }).first();
  if (!row) throw notFound(`Webhook with ID ${id.slice(0, 64)} not found.`);
  return row;
}

export async function listWebhooks(
  db: Queryable,
  query: { max_results?: number; page_token?: string },
): Promise<{ webhooks: WebhookJson[]; next_page_token?: string }> {
  const maxResults = query.max_results ?? 100;
  if (!Number.isSafeInteger(maxResults) || maxResults < 1 || maxResults > 1000) {
    throw invalidParameter(
      `Invalid value ${maxResults} for parameter 'max_results': must be between 1 and 1000.`,
    );
  }
  const offset = decodePageToken(query.page_token, 'webhooks');
  const rows = (await db<WebhookRow>('webhooks')
    .orderBy([{ column: 'creation_timestamp', order: 'asc' }, { column: 'id' }])
    .offset(offset)
    .limit(maxResults + 1)) as WebhookRow[];
  const page = rows.slice(0, maxResults).map(webhookToJson);
  return rows.length > maxResults
    ? { webhooks: page, next_page_token: encodePageToken(offset + maxResults, 'webhooks') }
    : { webhooks: page };
}

export async function updateWebhook(
  db: Queryable,
  config: Config,
  id: string,
  input: CreateWebhookInput,
): Promise<WebhookJson> {
  await findWebhook(db, id);
  const changes: Partial<WebhookRow> = { last_updated_timestamp: Date.now() };
  if (input.name !== undefined) changes.name = validateName(input.name);
  if (input.url !== undefined) {
    await validateOutboundUrl(input.url, config.webhookAllowPrivate);
    changes.url = input.url;
  }
  if (input.events !== undefined) changes.events = validateEvents(input.events);
  if (input.description !== undefined)
    changes.description = validateText(input.description, 'description', MAX_DESCRIPTION) || null;
  if (input.secret !== undefined) changes.secret = validateText(input.secret, 'secret', MAX_SECRET) || null;
  if (input.status !== undefined) changes.status = validateStatus(input.status);
  const [row] = await db<WebhookRow>('webhooks').where({ id }).update(changes).returning('*');
  return webhookToJson(row as WebhookRow);
}

export async function deleteWebhook(db: Queryable, id: string): Promise<void> {
  const deleted = await db('webhooks').where({ id }).delete();
  if (deleted === 0) throw notFound(`Webhook with ID ${id.slice(0, 64)} not found.`);
}

export interface WebhookTestResult {
  success: boolean;
  response_status?: number;
  response_body?: string;
  error_message?: string;
}

/** Bytes of a receiver's answer echoed back in a test result (§7: keep it short). */
const TEST_RESPONSE_BYTES = 1024;

/** Sends an example payload at once, outside the outbox, like MLflow's test_webhook. */
export async function testWebhook(
  db: Queryable,
  config: Config,
  id: string,
  event?: WireEvent,
): Promise<WebhookTestResult> {
  const webhook = await findWebhook(db, id);
  const key = event ? eventKey(event) : webhook.events[0];
  const body = envelope(key, Date.now(), examplePayload(key));
  try {
    const response = await guardedFetch(webhook.url, {
      method: 'POST',
      body,
      headers: deliveryHeaders(webhook.secret, crypto.randomUUID(), body),
      allowPrivate: config.webhookAllowPrivate,
      maxResponseBytes: TEST_RESPONSE_BYTES,
    });
    return { success: response.ok, response_status: response.status, response_body: response.body };
  } catch (err) {
    return { success: false, error_message: `Failed to test webhook: ${(err as Error).message}` };
  }
}
