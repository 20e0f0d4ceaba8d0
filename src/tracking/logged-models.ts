import crypto from 'node:crypto';
import type { Queryable } from '../db/knex';
import { invalidParameter, invalidValue, missingParameter, notFound } from '../errors';
import {
  applyLoggedModelFilter,
  applyLoggedModelOrder,
  DatasetRef,
  LoggedModelOrder,
} from '../search/logged-models';
import { decodePageToken, paginate } from '../search/page-token';
import { requireActiveExperiment, type KeyValue } from './experiments';
import { loggedModelMetrics } from './metrics';
import { insertWriteOnceParams, normaliseParam, refuseDuplicateParamKeys } from './params';
import { generateRunName } from './run-names';
import { nowMs, parseMaxResults } from './values';
import { parseExperimentId, validateLength } from './validation';
import { inOrder } from '../db/in-order';
import type { components } from '../generated/openapi';
import { pythonDumps } from '../python-json';

/**
 * MLflow 3 logged models (mlflow-compat.md §3.5, §4.3): `log_model` creates one (PENDING), uploads its files
 * under `mlflow-artifacts:/<exp>/models/<model_id>/artifacts`, finalizes it (READY) and registers
 * `models:/<model_id>`. Deleting is a soft delete.
 */
export type LoggedModelJson = components['schemas']['LoggedModel'];
type LoggedModelStatus = LoggedModelJson['info']['status'];

interface LoggedModelRow {
  model_id: string;
  experiment_id: number | string;
  name: string;
  model_type: string | null;
  source_run_id: string | null;
  status: LoggedModelStatus;
  status_message: string | null;
  lifecycle_stage: 'active' | 'deleted';
  creation_timestamp_ms: number;
  last_updated_timestamp_ms: number;
  artifact_uri: string;
}

const COLUMNS = [
  'model_id',
  'experiment_id',
  'name',
  'model_type',
  'source_run_id',
  'status',
  'status_message',
  'lifecycle_stage',
  'creation_timestamp_ms',
  'last_updated_timestamp_ms',
  'artifact_uri',
];
const MAX_TAG_KEY_LENGTH = 255;
const MAX_LOGGED_MODELS_PAGE = 1000;
const MAX_TAG_VALUE_LENGTH = 100_000;
const STATUS_BY_NUMBER: Record<number, string> = {
  0: 'LOGGED_MODEL_STATUS_UNSPECIFIED',
  1: 'LOGGED_MODEL_PENDING',
  2: 'LOGGED_MODEL_READY',
  3: 'LOGGED_MODEL_UPLOAD_FAILED',
};

/**
 * Where a logged model's files live, for the registry: a model version created with
 * `source = "models:/m-…"` resolves to this location in get-download-uri (mlflow-compat.md §4.3).
 * Deleted logged models resolve to nothing, like MLflow's get_logged_model.
 */
export async function findLoggedModelArtifactUri(
  db: Queryable,
  modelId: string,
): Promise<{ artifactUri: string; sourceRunId?: string } | undefined> {
  const row = await db('logged_models')
    .select('artifact_uri', 'source_run_id')
    .where({ model_id: modelId, lifecycle_stage: 'active' })
    .first();
  if (!row) return undefined;
  return { artifactUri: row.artifact_uri, ...(row.source_run_id ? { sourceRunId: row.source_run_id } : {}) };
}

/** MLflow's logged model name rule: non-empty, none of / : . % " ' (they break `models:/` URIs and paths). */
function validateModelName(name: string | undefined): string {
  if (name === undefined || name === '') return generateRunName();
  if (/[/:.%"']/.test(name)) {
    throw invalidParameter(
      `Invalid model name '${name}': names cannot contain any of ('/', ':', '.', '%', '"', "'").`,
    );
  }
  return validateLength(name, 'name', 500);
}

function normaliseTags(
  tags: Array<{ key?: string; value?: string }> | undefined,
): Array<{ key: string; value: string }> {
  const list = (tags ?? []).map((tag) => {
    if (!tag.key) throw missingParameter('tags.key');
    return {
      key: validateLength(tag.key, 'tag key', MAX_TAG_KEY_LENGTH),
      value: validateLength(tag.value ?? '', `tag '${tag.key}'`, MAX_TAG_VALUE_LENGTH),
    };
  });
  return [...new Map(list.map((tag) => [tag.key, tag])).values()];
}

function groupByModel(
  rows: Array<{ model_id: string; key: string; value: string }>,
): Map<string, KeyValue[]> {
  const groups = new Map<string, KeyValue[]>();
  for (const { model_id: modelId, key, value } of rows) {
    const list = groups.get(modelId) ?? [];
    list.push({ key, value });
    groups.set(modelId, list);
  }
  return groups;
}

async function modelsToJson(db: Queryable, rows: LoggedModelRow[]): Promise<LoggedModelJson[]> {
  if (!rows.length) return [];
  const ids = rows.map((row) => row.model_id);
  const [tags, params, metrics] = await inOrder([
    db('logged_model_tags').select('model_id', 'key', 'value').whereIn('model_id', ids).orderBy('key'),
    db('logged_model_params').select('model_id', 'key', 'value').whereIn('model_id', ids).orderBy('key'),
    loggedModelMetrics(db, ids),
  ]);
  const tagsByModel = groupByModel(
    tags.map((t) => ({ model_id: t.model_id, key: t.key, value: t.value ?? '' })),
  );
  const paramsByModel = groupByModel(
    params.map((p) => ({ model_id: p.model_id, key: p.key, value: p.value })),
  );
  return rows.map((row) => {
    const modelTags = tagsByModel.get(row.model_id) ?? [];
    const modelParams = paramsByModel.get(row.model_id) ?? [];
    const modelMetrics = metrics.get(row.model_id) ?? [];
    return {
      info: {
        model_id: row.model_id,
        experiment_id: String(row.experiment_id),
        name: row.name,
        creation_timestamp_ms: row.creation_timestamp_ms,
        last_updated_timestamp_ms: row.last_updated_timestamp_ms,
        artifact_uri: row.artifact_uri,
        status: row.status,
        ...(row.model_type !== null ? { model_type: row.model_type } : {}),
        ...(row.source_run_id !== null ? { source_run_id: row.source_run_id } : {}),
        ...(row.status_message !== null ? { status_message: row.status_message } : {}),
        ...(modelTags.length ? { tags: modelTags } : {}),
      },
      data: {
        ...(modelParams.length ? { params: modelParams } : {}),
        ...(modelMetrics.length ? { metrics: modelMetrics } : {}),
      },
    };
  });
}

async function requireLoggedModel(
  db: Queryable,
  modelId: string | undefined,
  options: { allowDeleted?: boolean } = {},
): Promise<LoggedModelRow> {
  if (!modelId) throw missingParameter('model_id');
  const row = (await db('logged_models').select(COLUMNS).where({ model_id: modelId }).first()) as
    LoggedModelRow | undefined;
  // Deleted models look missing unless asked for: MLflow answers RESOURCE_DOES_NOT_EXIST, which the client
  // tolerates when it tags a model after registration.
  if (!row || (row.lifecycle_stage === 'deleted' && !options.allowDeleted))
    throw notFound(`Logged model with ID '${modelId}' not found.`);
  return row;
}

const LOGGED_MODEL_ID = /^m-[0-9a-f]{32}$/;

/**
 * Set only by `semreg import-mlflow`: the source model's id (sources `models:/m-…` keep resolving), final
 * status and times, which the REST API cannot set.
 */
export interface ImportedLoggedModel {
  modelId: string;
  status: 'LOGGED_MODEL_PENDING' | 'LOGGED_MODEL_READY' | 'LOGGED_MODEL_UPLOAD_FAILED';
  creationTimestampMs: number;
  lastUpdatedTimestampMs: number;
}

export async function createLoggedModel(
  db: Queryable,
  input: {
    experiment_id?: string;
    name?: string;
    model_type?: string;
    source_run_id?: string;
    params?: Array<{ key?: string; value?: string }>;
    tags?: Array<{ key?: string; value?: string }>;
  },
  imported?: ImportedLoggedModel,
): Promise<LoggedModelJson> {
  const name = validateModelName(input.name);
  const params = (input.params ?? []).map(normaliseParam);
  refuseDuplicateParamKeys(params);
  const tags = normaliseTags(input.tags);
  if (input.source_run_id !== undefined && !/^[0-9a-zA-Z][\w-]{0,31}$/.test(input.source_run_id)) {
    throw invalidValue('source_run_id', input.source_run_id, 'not a run id.');
  }
  if (imported && !LOGGED_MODEL_ID.test(imported.modelId))
    throw invalidParameter(`Invalid logged model id '${imported.modelId.slice(0, 100)}'.`);
  const modelId = imported?.modelId ?? `m-${crypto.randomUUID().replace(/-/g, '')}`;
  const now = nowMs();
  await db.transaction(async (tx) => {
    const experiment = await requireActiveExperiment(tx, input.experiment_id);
    await tx('logged_models').insert({
      model_id: modelId,
      experiment_id: experiment.experiment_id,
      name,
      model_type: input.model_type ?? null,
      source_run_id: input.source_run_id ?? null,
      status: imported?.status ?? 'LOGGED_MODEL_PENDING',
      creation_timestamp_ms: imported?.creationTimestampMs ?? now,
      last_updated_timestamp_ms: imported?.lastUpdatedTimestampMs ?? now,
    });
    if (tags.length) await tx('logged_model_tags').insert(tags.map((tag) => ({ model_id: modelId, ...tag })));
    await insertWriteOnceParams(
      tx,
      { table: 'logged_model_params', ownerColumn: 'model_id', ownerId: modelId },
      params,
    );
  });
  return getLoggedModel(db, modelId);
}

export async function getLoggedModel(
  db: Queryable,
  modelId: string | undefined,
  options: { allowDeleted?: boolean } = {},
): Promise<LoggedModelJson> {
  const row = await requireLoggedModel(db, modelId, options);
  return (await modelsToJson(db, [row]))[0];
}

/** Finalize: the client sets READY after uploading the files, or UPLOAD_FAILED when the upload raised. */
export async function finalizeLoggedModel(
  db: Queryable,
  modelId: string | undefined,
  status: unknown,
): Promise<LoggedModelJson> {
  const name = typeof status === 'number' ? STATUS_BY_NUMBER[status] : status;
  if (name !== 'LOGGED_MODEL_READY' && name !== 'LOGGED_MODEL_UPLOAD_FAILED') {
    throw invalidValue(
      'status',
      status,
      'a logged model is finalized as LOGGED_MODEL_READY or LOGGED_MODEL_UPLOAD_FAILED.',
    );
  }
  const row = await requireLoggedModel(db, modelId);
  await db('logged_models')
    .where({ model_id: row.model_id })
    .update({ status: name, last_updated_timestamp_ms: nowMs() });
  return getLoggedModel(db, row.model_id);
}

export async function deleteLoggedModel(db: Queryable, modelId: string | undefined): Promise<void> {
  const row = await requireLoggedModel(db, modelId);
  await db('logged_models')
    .where({ model_id: row.model_id })
    .update({ lifecycle_stage: 'deleted', last_updated_timestamp_ms: nowMs() });
}

export async function setLoggedModelTags(
  db: Queryable,
  modelId: string | undefined,
  tags: Array<{ key?: string; value?: string }> | undefined,
): Promise<void> {
  const normalised = normaliseTags(tags);
  const row = await requireLoggedModel(db, modelId);
  if (!normalised.length) return;
  await db.transaction(async (tx) => {
    await tx('logged_model_tags')
      .insert(normalised.map((tag) => ({ model_id: row.model_id, ...tag })))
      .onConflict(['model_id', 'key'])
      .merge(['value']);
    await tx('logged_models')
      .where({ model_id: row.model_id })
      .update({ last_updated_timestamp_ms: nowMs() });
  });
}

/** The tag in which a logged model lists the model versions registered from it (MLflow's own key). */
export const MODEL_VERSIONS_TAG = 'mlflow.modelVersions';

/**
 * model-versions/create with a `model_id` records the new version on that logged model, as the reference
 * server does (`set_model_versions_tags` in mlflow/store/tracking/abstract_store.py): `{"name", "version"}`
 * is appended to the JSON list in `mlflow.modelVersions` unless an equal entry is there, written with
 * Python's json.dumps spacing and the version as a number, like the reference. A tag that is not a JSON list
 * (set by hand) is left as it is rather than overwritten.
 *
 * Two steps in the create's transaction. This one, before the version's statement, locks the logged model so
 * that concurrent registrations of it do not drop each other's entry, and reads the list: `undefined` when
 * there is nothing to record on. `appendModelVersion` writes the entry once the number is known, in one
 * statement, as the registered model's row is locked by then.
 */
export async function lockModelVersionsList(tx: Queryable, modelId: string): Promise<unknown[] | undefined> {
  const model = await tx('logged_models').where({ model_id: modelId }).forUpdate().first('model_id');
  if (!model) return undefined;
  const current = await tx('logged_model_tags')
    .where({ model_id: modelId, key: MODEL_VERSIONS_TAG })
    .first('value');
  if (!current?.value) return [];
  try {
    const parsed: unknown = JSON.parse(current.value);
    return Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export async function appendModelVersion(
  tx: Queryable,
  modelId: string,
  entries: unknown[],
  name: string,
  version: number,
): Promise<void> {
  const known = entries.some(
    (entry) =>
      entry !== null &&
      typeof entry === 'object' &&
      Object.keys(entry).length === 2 &&
      (entry as Record<string, unknown>).name === name &&
      (entry as Record<string, unknown>).version === version,
  );
  if (known) return;
  const value = pythonDumps([...entries, { name, version }]);
  if (value.length > MAX_TAG_VALUE_LENGTH) return;
  await tx.raw(
    `WITH tag AS (
       INSERT INTO logged_model_tags (model_id, key, value) VALUES (?, ?, ?)
       ON CONFLICT (model_id, key) DO UPDATE SET value = excluded.value
     )
     UPDATE logged_models SET last_updated_timestamp_ms = ? WHERE model_id = ?`,
    [modelId, MODEL_VERSIONS_TAG, value, nowMs(), modelId],
  );
}

export async function deleteLoggedModelTag(
  db: Queryable,
  modelId: string | undefined,
  key: string | undefined,
): Promise<void> {
  if (!key) throw missingParameter('tag_key');
  const row = await requireLoggedModel(db, modelId);
  const deleted = await db('logged_model_tags').where({ model_id: row.model_id, key }).delete();
  if (!deleted) throw notFound(`No tag with key '${key}' found for logged model '${row.model_id}'.`);
}

/** More than 100 params arrive in batches of 100 after create; params are write-once as for runs. */
export async function logLoggedModelParams(
  db: Queryable,
  modelId: string | undefined,
  params: Array<{ key?: string; value?: string }> | undefined,
): Promise<void> {
  const normalised = (params ?? []).map(normaliseParam);
  refuseDuplicateParamKeys(normalised);
  await db.transaction(async (tx) => {
    const row = await requireLoggedModel(tx, modelId);
    await insertWriteOnceParams(
      tx,
      { table: 'logged_model_params', ownerColumn: 'model_id', ownerId: row.model_id },
      normalised,
    );
  });
}

/** logged-models/search; tokens are bound to the query they were issued for (§6.1 "Page tokens"). */
export async function searchLoggedModels(
  db: Queryable,
  input: {
    experiment_ids?: string[];
    filter?: string;
    datasets?: DatasetRef[];
    max_results?: unknown;
    order_by?: LoggedModelOrder[];
    page_token?: string;
  },
): Promise<{ models: LoggedModelJson[]; next_page_token?: string }> {
  const experimentIds = (input.experiment_ids ?? []).map((id) => parseExperimentId(id, 'experiment_ids'));
  if (!experimentIds.length) throw missingParameter('experiment_ids');
  // MLflow's store defaults to 100 and has no cap; semreg serves at most 1000 per page and hands out a token
  // for the rest, which every client caller follows.
  const requested = parseMaxResults(input.max_results, { fallback: 100, max: Number.MAX_SAFE_INTEGER });
  const maxResults = Math.min(requested, MAX_LOGGED_MODELS_PAGE);
  const datasets = input.datasets ?? [];
  const binding = crypto
    .createHash('sha256')
    .update(JSON.stringify([experimentIds, input.filter ?? '', datasets, input.order_by ?? []]))
    .digest('hex')
    .slice(0, 32);
  const offset = decodePageToken(input.page_token, binding);
  const query = db('logged_models as lm')
    .select(COLUMNS.map((c) => `lm.${c}`))
    .whereIn('lm.experiment_id', experimentIds)
    .where('lm.lifecycle_stage', 'active');
  applyLoggedModelFilter(query, input.filter, datasets);
  applyLoggedModelOrder(query, input.order_by ?? []);
  const rows = (await query.offset(offset).limit(maxResults + 1)) as LoggedModelRow[];
  const page = paginate(rows, offset, maxResults, binding);
  return {
    models: await modelsToJson(db, page.items),
    ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}),
  };
}
