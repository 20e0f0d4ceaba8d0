import type { Queryable } from '../db/knex';
import { invalidParameter } from '../errors';
import { decodePageToken, paginate } from '../search/page-token';
import type { MetricJson } from './run-view';
import { requireRun } from './runs';
import { compareInt64, Int64, optionalInt64, parseDouble, parseInt64, TIMESTAMP_RANGE } from './values';
import { validateKey, validateLength } from './validation';

/**
 * Metric values: appended to `metrics` (identical rows collapse, so replays are harmless) and folded into
 * `latest_metrics`, the per-key value `Run.data.metrics` shows (mlflow-compat.md §3.2-3.4).
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
    .insert(metrics.map((m) => ({ run_uuid: runId, ...m })))
    .onConflict()
    .ignore();
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

function metricToJson(row: MetricRow & { run_uuid?: string }, withRunId: boolean): MetricJson {
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

/** The client asks for 25000 per page and follows tokens; larger requests are served in pages of 25000. */
const HISTORY_PAGE_LIMIT = 25000;

export async function getMetricHistory(
  db: Queryable,
  runId: string,
  input: { metric_key?: string; max_results?: string; page_token?: string },
): Promise<{ metrics: MetricJson[]; next_page_token?: string }> {
  const key = input.metric_key;
  if (!key) throw invalidParameter("Missing value for required parameter 'metric_key'.");
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
    .select('key', 'value', 'timestamp', 'step', 'model_id', 'dataset_name', 'dataset_digest')
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
  const rows = await db('metrics')
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
 * metrics/get-history-bulk-interval (the UI's charts): the values of one metric for up to 100 runs at no
 * more than `max_results` steps, sampled evenly over the step range and always including its first and
 * last step, like MLflow's handler.
 */
const MAX_BULK_RUNS = 100;
const MAX_BULK_RESULTS = 2500;

function sampleSteps(steps: Int64[], maxResults: number): Int64[] {
  if (steps.length <= maxResults) return steps;
  if (maxResults === 1) return [steps[steps.length - 1]];
  const picked = new Set<number>();
  for (let i = 0; i < maxResults; i++) picked.add(Math.round((i * (steps.length - 1)) / (maxResults - 1)));
  return [...picked].sort((a, b) => a - b).map((index) => steps[index]);
}

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
  const runIds = [...new Set(input.run_ids ?? [])];
  if (!runIds.length) throw invalidParameter("Missing value for required parameter 'run_ids'.");
  if (runIds.length > MAX_BULK_RUNS) {
    throw invalidParameter(
      `GetMetricHistoryBulkInterval request must specify at most ${MAX_BULK_RUNS} run_ids. Received ${runIds.length} run_ids.`,
    );
  }
  if (!input.metric_key) throw invalidParameter("Missing value for required parameter 'metric_key'.");
  const hasStart = input.start_step !== undefined && input.start_step !== '';
  const hasEnd = input.end_step !== undefined && input.end_step !== '';
  if (hasStart !== hasEnd)
    throw invalidParameter('If either start step or end step are specified, both must be specified.');
  const start = hasStart ? parseInt64(input.start_step, 'start_step') : undefined;
  const end = hasEnd ? parseInt64(input.end_step, 'end_step') : undefined;
  if (start !== undefined && end !== undefined && compareInt64(start, end) > 0) {
    throw invalidParameter('end_step must be greater than or equal to start_step.');
  }
  let maxResults = MAX_BULK_RESULTS;
  if (input.max_results !== undefined && input.max_results !== '') {
    maxResults = Number(input.max_results);
    if (!/^\d+$/.test(input.max_results) || maxResults < 1 || maxResults > MAX_BULK_RESULTS) {
      throw invalidParameter(
        `max_results must be between 1 and ${MAX_BULK_RESULTS}, got '${input.max_results}'.`,
      );
    }
  }
  const inRange = (qb: ReturnType<Queryable>) => {
    qb.whereIn('run_uuid', runIds).where('key', input.metric_key as string);
    if (start !== undefined && end !== undefined) qb.whereBetween('step', [start, end]);
    return qb;
  };
  const steps = (await inRange(db('metrics').distinct('step')).orderBy('step')).map(
    (row: { step: Int64 }) => row.step,
  );
  const sampled = sampleSteps(steps, maxResults);
  if (!sampled.length) return { metrics: [] };
  const rows = await inRange(
    db('metrics').select(
      'run_uuid',
      'key',
      'value',
      'timestamp',
      'step',
      'model_id',
      'dataset_name',
      'dataset_digest',
    ),
  )
    .whereIn('step', sampled)
    .orderBy([{ column: 'run_uuid' }, { column: 'step' }, { column: 'timestamp' }, { column: 'id' }]);
  return { metrics: rows.map((row: MetricRow & { run_uuid: string }) => metricToJson(row, true)) };
}
