import type { Queryable } from '../db/knex';
import { invalidParameter, missingParameter, notFound, schemaRefusal } from '../errors';
import { pythonJson } from '../python-json';
import { decodePageToken, paginate } from '../search/page-token';
import type { MetricJson } from './run-view';
import { requireRun } from './runs';
import { compareInt64, Int64, optionalInt64, parseDouble, parseInt64, TIMESTAMP_RANGE } from './values';
import { validateKey, validateLength } from './validation';

/**
 * Metric values: appended to the run's history in `metrics`, one point per (key, step, timestamp, value) as in
 * MLflow (a replay, or the same point again with a logged model attached, adds nothing); folded into
 * `latest_metrics`, the per-key value `Run.data.metrics` shows (mlflow-compat.md §3.2-3.4); and, when they
 * name a logged model, kept with it and their dataset in `logged_model_metrics` (`LoggedModel.data.metrics`).
 */
export interface MetricInput {
  key?: string;
  value?: unknown;
  timestamp?: unknown;
  step?: unknown;
  model_id?: string;
  dataset_name?: string;
  dataset_digest?: string;
}

export interface MetricRow {
  key: string;
  value: number;
  timestamp: Int64;
  step: Int64;
  model_id: string | null;
  dataset_name: string | null;
  dataset_digest: string | null;
}

export function normaliseMetric(metric: MetricInput): MetricRow {
  const key = validateKey(metric.key, 'metric');
  if (metric.value === undefined)
    throw invalidParameter(`Missing value for required parameter 'value' (metric '${key}').`);
  if (metric.timestamp === undefined)
    throw invalidParameter(`Missing value for required parameter 'timestamp' (metric '${key}').`);
  return {
    key,
    value: parseDouble(metric.value, 'value'),
    timestamp: parseInt64(metric.timestamp, 'timestamp', TIMESTAMP_RANGE),
    step: optionalInt64(metric.step, 'step', 0),
    model_id: metric.model_id || null,
    dataset_name: metric.dataset_name ? validateLength(metric.dataset_name, 'dataset_name', 500) : null,
    dataset_digest: metric.dataset_digest
      ? validateLength(metric.dataset_digest, 'dataset_digest', 36)
      : null,
  };
}

/** NaN counts as the largest value, as PostgreSQL orders it, so JS and SQL agree on "latest". */
function compareValues(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b))
    return Number.isNaN(a) === Number.isNaN(b) ? 0 : Number.isNaN(a) ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function isLater(a: MetricRow, b: MetricRow): boolean {
  return (
    (compareInt64(a.step, b.step) ||
      compareInt64(a.timestamp, b.timestamp) ||
      compareValues(a.value, b.value)) > 0
  );
}

/** Appends metric values and updates the latest value per key; call it inside the request's transaction. */
export async function insertMetrics(db: Queryable, runId: string, metrics: MetricRow[]): Promise<void> {
  if (!metrics.length) return;
  await db('metrics')
    .insert(
      metrics.map(({ key, value, timestamp, step }) => ({ run_uuid: runId, key, value, timestamp, step })),
    )
    .onConflict()
    .ignore();
  const forModels = metrics.filter((m) => m.model_id);
  if (forModels.length) {
    await db('logged_model_metrics')
      .insert(forModels.map((m) => ({ run_uuid: runId, ...m })))
      .onConflict()
      .ignore();
  }
  const latest = new Map<string, MetricRow>();
  for (const metric of metrics) {
    const current = latest.get(metric.key);
    if (!current || isLater(metric, current)) latest.set(metric.key, metric);
  }
  // Row comparison keeps the later of the stored and the new value (step, then timestamp, then value).
  await db('latest_metrics')
    .insert(
      [...latest.values()].map((m) => ({
        run_uuid: runId,
        key: m.key,
        value: m.value,
        timestamp: m.timestamp,
        step: m.step,
      })),
    )
    .onConflict(['run_uuid', 'key'])
    .merge(['value', 'timestamp', 'step'])
    .whereRaw(
      '(excluded.step, excluded.timestamp, excluded.value) > (latest_metrics.step, latest_metrics.timestamp, latest_metrics.value)',
    );
}

export function metricToJson(row: MetricRow & { run_uuid?: string }, withRunId: boolean): MetricJson {
  return {
    key: row.key,
    value: row.value,
    timestamp: row.timestamp,
    step: row.step,
    ...(withRunId && row.run_uuid ? { run_id: row.run_uuid } : {}),
    ...(row.model_id ? { model_id: row.model_id } : {}),
    ...(row.dataset_name ? { dataset_name: row.dataset_name } : {}),
    ...(row.dataset_digest ? { dataset_digest: row.dataset_digest } : {}),
  };
}

/** A point of a run's history: no model or dataset, as MLflow's `metrics` table keeps none. */
const HISTORY_COLUMNS = ['key', 'value', 'timestamp', 'step'];

/** The client asks for 25000 per page and follows tokens; larger requests are served in pages of 25000. */
const HISTORY_PAGE_LIMIT = 25000;

export async function getMetricHistory(
  db: Queryable,
  runId: string,
  input: { metric_key?: string; max_results?: string; page_token?: string },
): Promise<{ metrics: MetricJson[]; next_page_token?: string }> {
  const key = input.metric_key;
  if (!key) throw missingParameter('metric_key');
  let maxResults = HISTORY_PAGE_LIMIT;
  if (input.max_results !== undefined && input.max_results !== '') {
    const n = Number(input.max_results);
    if (!/^\d+$/.test(input.max_results) || !Number.isSafeInteger(n) || n < 1) {
      throw invalidParameter(
        `Invalid value '${input.max_results}' for parameter 'max_results': expected a positive integer.`,
      );
    }
    maxResults = Math.min(n, HISTORY_PAGE_LIMIT);
  }
  const offset = decodePageToken(input.page_token);
  await requireRun(db, runId);
  const rows = await db('metrics')
    .select(HISTORY_COLUMNS)
    .where({ run_uuid: runId, key })
    .orderBy([{ column: 'timestamp' }, { column: 'step' }, { column: 'value' }, { column: 'id' }])
    .offset(offset)
    .limit(maxResults + 1);
  const page = paginate(rows as MetricRow[], offset, maxResults);
  return {
    metrics: page.items.map((row) => metricToJson(row, false)),
    ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}),
  };
}

/** Values of `key` logged with a logged model (LoggedModel.data.metrics). */
export async function loggedModelMetrics(
  db: Queryable,
  modelIds: string[],
): Promise<Map<string, MetricJson[]>> {
  const byModel = new Map<string, MetricJson[]>();
  if (!modelIds.length) return byModel;
  const rows = await db('logged_model_metrics')
    .select('run_uuid', 'key', 'value', 'timestamp', 'step', 'model_id', 'dataset_name', 'dataset_digest')
    .whereIn('model_id', modelIds)
    .orderBy([{ column: 'key' }, { column: 'step' }, { column: 'timestamp' }, { column: 'id' }]);
  for (const row of rows) {
    const list = byModel.get(row.model_id) ?? [];
    list.push(metricToJson(row, true));
    byModel.set(row.model_id, list);
  }
  return byModel;
}

/**
 * The web UI's bulk metric endpoints (MLflow serves them under /ajax-api): the history of one metric for up
 * to 100 runs. Their checks and words follow the reference's handlers (mlflow/server/handlers.py), in its
 * order, because its UI and tests read them.
 */
const MAX_BULK_RUNS = 100;
const MAX_BULK_RESULTS = 2500;

/** A query value that is absent or empty counts as not given, as in the reference's `if not value`. */
const given = (value: string | undefined): value is string => value !== undefined && value !== '';

function parseBulkMaxResults(value: string | undefined, fallback: number): number {
  if (!given(value)) return fallback;
  if (!/^-?\d+$/.test(value.trim()))
    throw schemaRefusal(`Invalid value ${pythonJson(value)} for parameter 'max_results' supplied.`);
  return Number(value.trim());
}

/**
 * metrics/get-history-bulk: every value of `metric_key` logged to the given runs, by run id, then timestamp,
 * step and value, `max_results` (≤ 25000) in all. Unknown run ids are skipped, as in the reference.
 */
export async function getMetricHistoryBulk(
  db: Queryable,
  input: { run_id?: string[]; metric_key?: string; max_results?: string },
): Promise<{ metrics: MetricJson[] }> {
  const runIds = input.run_id ?? [];
  if (!runIds.length)
    throw invalidParameter('GetMetricHistoryBulk request must specify at least one run_id.');
  if (runIds.length > MAX_BULK_RUNS) {
    throw invalidParameter(
      `GetMetricHistoryBulk request cannot specify more than ${MAX_BULK_RUNS} run_ids. Received ${runIds.length} run_ids.`,
    );
  }
  if (input.metric_key === undefined)
    throw invalidParameter('GetMetricHistoryBulk request must specify a metric_key.');
  const maxResults = Math.min(parseBulkMaxResults(input.max_results, HISTORY_PAGE_LIMIT), HISTORY_PAGE_LIMIT);
  if (maxResults < 1) return { metrics: [] };
  const rows = await db('metrics')
    .select('run_uuid', ...HISTORY_COLUMNS)
    .whereIn('run_uuid', [...new Set(runIds)])
    .where('key', input.metric_key)
    .orderBy([
      { column: 'run_uuid' },
      { column: 'timestamp' },
      { column: 'step' },
      { column: 'value' },
      { column: 'id' },
    ])
    .limit(maxResults);
  return { metrics: rows.map((row: MetricRow & { run_uuid: string }) => metricToJson(row, true)) };
}

type BulkRow = MetricRow & { run_uuid: string };

/**
 * The reference's sampling (3.17, SqlAlchemyStore._sample_rows_with_window_functions), run by run: the rows
 * in (step, timestamp, value) order are cut into `max_results` NTILE buckets and the first row of each is
 * kept; the run's last row is kept too, replacing the last sampled one when the sample is already full.
 */
async function sampleRun(
  db: Queryable,
  runId: string,
  key: string,
  maxResults: number,
  range: [Int64, Int64] | undefined,
): Promise<BulkRow[]> {
  const inRange = (qb: ReturnType<Queryable>) => {
    qb.where({ run_uuid: runId, key });
    if (range) qb.whereBetween('step', range);
    return qb;
  };
  const order = 'step, timestamp, value, id';
  const bucketed = inRange(
    db('metrics').select(
      'id',
      'run_uuid',
      ...HISTORY_COLUMNS,
      db.raw(`ntile(?) over (order by ${order}) as bucket`, [maxResults]),
      db.raw(`row_number() over (order by ${order}) as position`),
    ),
  ).as('bucketed');
  const ranked = db
    .from(bucketed)
    .select('*', db.raw(`row_number() over (partition by bucket order by ${order}) as rn`))
    .as('ranked');
  const rows: BulkRow[] = await db.from(ranked).where('rn', 1).orderBy('position');
  const last: BulkRow | undefined = await inRange(db('metrics').select('id', 'run_uuid', ...HISTORY_COLUMNS))
    .orderBy([
      { column: 'step', order: 'desc' },
      { column: 'timestamp', order: 'desc' },
      { column: 'value', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .first();
  const tail = rows[rows.length - 1] as (BulkRow & { id?: unknown }) | undefined;
  if (last && (!tail || tail.id !== (last as BulkRow & { id?: unknown }).id)) {
    if (rows.length >= maxResults) rows[rows.length - 1] = last;
    else rows.push(last);
  }
  return rows;
}

/**
 * metrics/get-history-bulk-interval (the UI's charts): each run's values of one metric, at most
 * `max_results` (1–2500) per run, evenly sampled over its history or over [start_step, end_step].
 */
export async function getMetricHistoryBulkInterval(
  db: Queryable,
  input: {
    run_ids?: string[];
    metric_key?: string;
    start_step?: string;
    end_step?: string;
    max_results?: string;
  },
): Promise<{ metrics: MetricJson[] }> {
  const requested = input.run_ids ?? [];
  if (!requested.length) throw missingParameter('run_ids');
  if (requested.length > MAX_BULK_RUNS) {
    throw schemaRefusal(
      `GetMetricHistoryBulkInterval request must specify at most ${MAX_BULK_RUNS} run_ids. Received ${requested.length} run_ids.`,
    );
  }
  if (!given(input.metric_key)) throw missingParameter('metric_key');
  const start = given(input.start_step) ? parseInt64(input.start_step, 'start_step') : undefined;
  const end = given(input.end_step) ? parseInt64(input.end_step, 'end_step') : undefined;
  const maxResults = parseBulkMaxResults(input.max_results, MAX_BULK_RESULTS);
  if (maxResults < 1 || maxResults > MAX_BULK_RESULTS)
    throw schemaRefusal(`max_results must be between 1 and ${MAX_BULK_RESULTS}.`);
  if (start !== undefined && end !== undefined && compareInt64(start, end) > 0) {
    // The reference's words, although an equal start and end are accepted.
    throw invalidParameter(
      `end_step must be greater than start_step. Found start_step=${start} and end_step=${end}.`,
    );
  }
  if ((start === undefined) !== (end === undefined))
    throw invalidParameter('If either start step or end step are specified, both must be specified.');
  const runIds = [...new Set(requested)];
  const known = new Set(
    (await db('runs').select('run_uuid').whereIn('run_uuid', runIds)).map(
      (row: { run_uuid: string }) => row.run_uuid,
    ),
  );
  const missing = runIds.find((id) => !known.has(id));
  if (missing !== undefined) throw notFound(`Run with id=${missing} not found`);
  const range = start !== undefined && end !== undefined ? ([start, end] as [Int64, Int64]) : undefined;
  const metrics: MetricJson[] = [];
  for (const runId of runIds) {
    const rows = await sampleRun(db, runId, input.metric_key, maxResults, range);
    metrics.push(...rows.map((row) => metricToJson(row, true)));
  }
  return { metrics };
}
