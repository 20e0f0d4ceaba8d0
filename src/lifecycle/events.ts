import type { Queryable } from '../db/knex';
import { invalidParameter } from '../errors';
import { decodePageToken, encodePageToken } from '../search/page-token';
import { whereModelVisible } from '../search/sql';
import { currentEventContext } from './event-context';
import { parseInstant } from './time';
import { EVENT_COLUMNS, EventColumns, insertEventWithDeliveries } from './webhook-outbox';

/**
 * The lifecycle history: every registry change appends one row to `events` in the transaction that makes the
 * change, and the same call enqueues the webhook deliveries it fires (transactional outbox), so an event is
 * never announced for a change that rolled back, and never lost for one that committed.
 */
export type EventType =
  | 'model.created'
  | 'model.renamed'
  | 'model.deleted'
  | 'version.created'
  | 'version.deleted'
  | 'tag.set'
  | 'tag.deleted'
  | 'alias.set'
  | 'alias.deleted'
  | 'stage.transitioned'
  | 'package.file_added'
  | 'package.file_deleted';

export const EVENT_TYPES: readonly EventType[] = [
  'model.created',
  'model.renamed',
  'model.deleted',
  'version.created',
  'version.deleted',
  'tag.set',
  'tag.deleted',
  'alias.set',
  'alias.deleted',
  'stage.transitioned',
  'package.file_added',
  'package.file_deleted',
];

/**
 * What a caller records. Conventions (the webhook payloads and `GET /api/models/<name>/at` rely on them):
 * - `version.created`: `after` = `{source, run_id, tags, description, current_stage}`.
 * - `tag.set` / `tag.deleted`: `after` = `{key, value}` / `before` = `{key}`; `version` set for a
 *   model-version tag, absent for a registered-model tag.
 * - `alias.set`: `alias`, `version` = new target, `before` = `{version: <previous>}` when it moved.
 * - `stage.transitioned`: `stage` = target stage, `before` = `{stage: from}`, `after` = `{stage: to,
 *   archived_versions?: ["2", …]}`. Each archived version gets its own `stage.transitioned` event too.
 * - `package.file_added`: `after` = `{path, size, sha256}`.
 */
export interface EventInput {
  type: EventType;
  model: string;
  registeredModelId?: number | null;
  version?: number | string | null;
  semver?: string | null;
  stage?: string | null;
  alias?: string | null;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
  /** Token id; defaults to the caller of the current request. */
  actor?: string | null;
  /** Defaults to the current request's X-CI-Job-Id. */
  ciJobId?: string | null;
  /** Epoch ms; defaults to now. The GTO importer replays original timestamps. */
  time?: number;
}

export interface EventRecord {
  id: number;
  type: EventType;
  time: number;
  actor: string | null;
  model: string;
  registered_model_id: number | null;
  version: string | null;
  semver: string | null;
  stage: string | null;
  alias: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  ci_job_id: string | null;
}

interface EventRow extends Omit<EventRecord, 'version'> {
  version: number | null;
}

export function toEventRecord(row: EventRow): EventRecord {
  return { ...row, version: row.version === null ? null : String(row.version) };
}

function versionNumber(value: number | string | null | undefined): number | null {
  if (value === undefined || value === null || value === '') return null;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : null;
}

/** The row an event becomes (`columns`, JSON as text) and the same event as read back, before it has an id. */
export function eventRow(input: EventInput): { columns: EventColumns; event: Omit<EventRecord, 'id'> } {
  const context = currentEventContext();
  const fields = {
    type: input.type,
    time: context.replayTime ?? input.time ?? Date.now(),
    actor: input.actor ?? context.actor ?? null,
    model: input.model,
    registered_model_id: input.registeredModelId ?? null,
    version: versionNumber(input.version),
    semver: input.semver ?? null,
    stage: input.stage ?? null,
    alias: input.alias ?? null,
    before: input.before ?? null,
    after: input.after ?? null,
    ci_job_id: input.ciJobId ?? context.ciJobId ?? null,
  };
  return {
    columns: {
      ...fields,
      before: fields.before && JSON.stringify(fields.before),
      after: fields.after && JSON.stringify(fields.after),
    },
    event: { ...fields, version: fields.version === null ? null : String(fields.version) },
  };
}

export async function recordEvent(trx: Queryable, input: EventInput): Promise<EventRecord> {
  const { columns, event } = eventRow(input);
  return toEventRecord(await insertEventWithDeliveries<EventRow>(trx, columns, event));
}

export interface ListEventsQuery {
  model?: string;
  type?: string;
  since?: string | number;
  until?: string | number;
  max_results?: number;
  page_token?: string;
  order?: 'asc' | 'desc';
}

const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

/**
 * `GET /api/events`, oldest first (newest first with `order=desc`). The page token carries the last id
 * returned (keyset paging: the table is append-only, so ids never shift under a reader the way offsets would).
 * A token restricted to model patterns sees the events of the models it may read: recorded under a name it
 * matches, or belonging to a model whose name it matches now (its history from before a rename), exactly as
 * the registry searches filter.
 */
export async function listEvents(
  db: Queryable,
  query: ListEventsQuery,
  modelPatterns: readonly string[] = [],
): Promise<{ events: EventRecord[]; next_page_token?: string }> {
  const maxResults = query.max_results ?? DEFAULT_PAGE;
  if (!Number.isSafeInteger(maxResults) || maxResults < 1 || maxResults > MAX_PAGE) {
    throw invalidParameter(
      `Invalid value ${maxResults} for parameter 'max_results': must be between 1 and ${MAX_PAGE}.`,
    );
  }
  const newestFirst = query.order === 'desc';
  // A token from one order is refused in the other: it would skip the wrong side of its event.
  const binding = JSON.stringify([
    query.model,
    query.type,
    query.since,
    query.until,
    ...(newestFirst ? ['desc'] : []),
  ]);
  // The columns listed: an answer's shape is the API's, whatever columns a later release adds to the table.
  const builder = db<EventRow>('events')
    .select('id', ...EVENT_COLUMNS)
    .orderBy('id', newestFirst ? 'desc' : 'asc')
    .limit(maxResults + 1);
  if (query.page_token)
    builder.where('id', newestFirst ? '<' : '>', decodePageToken(query.page_token, binding));
  if (query.model !== undefined) whereModel(builder, db, query.model);
  if (modelPatterns.length > 0) {
    builder.where((visible: any) => {
      whereModelVisible(visible, 'model', modelPatterns);
      visible.orWhereIn('registered_model_id', (ids: any) =>
        whereModelVisible(ids.from('registered_models').select('id'), 'name', modelPatterns),
      );
    });
  }
  if (query.type !== undefined) {
    const types = query.type
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    const unknown = types.find((t) => !EVENT_TYPES.includes(t as EventType));
    if (unknown)
      throw invalidParameter(
        `Unknown event type '${unknown.slice(0, 64)}'. Known types: ${EVENT_TYPES.join(', ')}.`,
      );
    builder.whereIn('type', types);
  }
  if (query.since !== undefined) builder.where('time', '>=', parseInstant(query.since, 'since'));
  if (query.until !== undefined) builder.where('time', '<=', parseInstant(query.until, 'until'));
  const rows = (await builder) as EventRow[];
  const page = rows.slice(0, maxResults).map(toEventRecord);
  const next = rows.length > maxResults ? encodePageToken(page[page.length - 1].id, binding) : undefined;
  return next ? { events: page, next_page_token: next } : { events: page };
}

/**
 * Events of a model: those of the model now carrying that name (whatever it was called then), and those
 * recorded under that name by earlier, deleted models of the same name.
 */
export function whereModel(builder: any, db: Queryable, name: string): void {
  builder.where((q: any) =>
    q
      .where('model', name)
      .orWhereIn('registered_model_id', db('registered_models').select('id').where({ name })),
  );
}
