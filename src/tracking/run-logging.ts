import type { Queryable } from '../db/knex';
import { invalidParameter } from '../errors';
import { insertMetrics, MetricInput, normaliseMetric } from './metrics';
import { insertWriteOnceParams, normaliseParam, ParamInput, refuseDuplicateParamKeys } from './params';
import { normaliseRunTag, requireActiveRun, upsertRunTags } from './runs';

/**
 * log-metric, log-parameter and log-batch (mlflow-compat.md §3.3). Every request is one transaction:
 * a refused item leaves nothing behind (stricter than MLflow, and what makes client retries safe).
 */
export const MAX_BATCH_METRICS = 1000;
export const MAX_BATCH_PARAMS = 100;
export const MAX_BATCH_TAGS = 100;
export const MAX_BATCH_ENTITIES = 1000;
export const MAX_BATCH_REQUEST_CHARS = 1_000_000;

export async function logMetric(db: Queryable, runId: string, metric: MetricInput): Promise<void> {
  const row = normaliseMetric(metric);
  await db.transaction(async (tx) => {
    await requireActiveRun(tx, runId);
    await insertMetrics(tx, runId, [row]);
  });
}

export async function logParam(db: Queryable, runId: string, param: ParamInput): Promise<void> {
  const row = normaliseParam(param);
  await db.transaction(async (tx) => {
    await requireActiveRun(tx, runId);
    await insertWriteOnceParams(tx, { table: 'params', ownerColumn: 'run_uuid', ownerId: runId }, [row]);
  });
}

function checkBatchLimits(metrics: number, params: number, tags: number, requestChars: number): void {
  if (requestChars > MAX_BATCH_REQUEST_CHARS) {
    throw invalidParameter(
      `Batched logging API requests must be at most ${MAX_BATCH_REQUEST_CHARS} bytes, got a request of ${requestChars} bytes.`,
    );
  }
  const limit = (count: number, max: number, what: string) => {
    if (count > max) {
      throw invalidParameter(
        `A batch logging request can contain at most ${max} ${what}. Got ${count} ${what}. Please split up ${what} across multiple requests and try again.`,
      );
    }
  };
  limit(metrics, MAX_BATCH_METRICS, 'metrics');
  limit(params, MAX_BATCH_PARAMS, 'params');
  limit(tags, MAX_BATCH_TAGS, 'tags');
  const total = metrics + params + tags;
  if (total > MAX_BATCH_ENTITIES) {
    throw invalidParameter(
      `A batch logging request can contain at most ${MAX_BATCH_ENTITIES} metrics, params, and tags in total. Got ${total} entities.`,
    );
  }
}

export async function logBatch(
  db: Queryable,
  runId: string,
  input: { metrics?: MetricInput[]; params?: ParamInput[]; tags?: Array<{ key?: string; value?: string }> },
  requestChars: number,
): Promise<void> {
  const metricsIn = input.metrics ?? [];
  const paramsIn = input.params ?? [];
  const tagsIn = input.tags ?? [];
  checkBatchLimits(metricsIn.length, paramsIn.length, tagsIn.length, requestChars);
  const metrics = metricsIn.map(normaliseMetric);
  const params = paramsIn.map(normaliseParam);
  refuseDuplicateParamKeys(params);
  const tags = tagsIn.map(normaliseRunTag);
  await db.transaction(async (tx) => {
    // Tag writes can change the runs row (mlflow.runName, ci.* columns): lock it first, in the same order as
    // runs/update, so concurrent writers on one run queue instead of deadlocking.
    await requireActiveRun(tx, runId, { forUpdate: tags.length > 0 });
    await insertWriteOnceParams(tx, { table: 'params', ownerColumn: 'run_uuid', ownerId: runId }, params);
    await insertMetrics(tx, runId, metrics);
    await upsertRunTags(tx, runId, tags);
  });
}
