import type { Queryable } from '../db/knex';
import { isUniqueViolation } from '../db/pg-errors';
import { alreadyExists, invalidParameter, missingParameter, notFound } from '../errors';
import { checkClientArtifactLocation } from './artifact-location';
import { applyExperimentFilter, applyExperimentOrder } from '../search/experiments';
import { decodePageToken, paginate } from '../search/page-token';
import { nowMs, parseMaxResults } from './values';
import { lifecycleStages, parseViewType } from './view-type';
import {
  MAX_EXPERIMENT_NAME_LENGTH,
  MAX_EXPERIMENT_TAG_VALUE_LENGTH,
  parseExperimentId,
  validateKey,
  validateLength,
} from './validation';
import type { components } from '../generated/openapi';

export type KeyValue = components['schemas']['KeyValue'];
export type ExperimentJson = components['schemas']['Experiment'];

/** Experiments: create, read, rename, soft delete/restore, tags (mlflow-compat.md §3.1). */
export interface ExperimentRow {
  experiment_id: number | string;
  name: string;
  artifact_location: string;
  lifecycle_stage: 'active' | 'deleted';
  creation_time: number;
  last_update_time: number;
}

const EXPERIMENT_NAME_UNIQUE = 'experiments_name_key';

function validateName(name: string | undefined, field: string): string {
  if (name === undefined || name.trim() === '') throw missingParameter(field);
  return validateLength(name, field, MAX_EXPERIMENT_NAME_LENGTH);
}

function validateTag(tag: KeyValue): KeyValue {
  validateKey(tag.key, 'tag');
  return {
    key: tag.key,
    value: validateLength(tag.value ?? '', `tag '${tag.key}'`, MAX_EXPERIMENT_TAG_VALUE_LENGTH),
  };
}

/** Later tags win over earlier ones with the same key, as in MLflow's set-tag semantics. */
function lastTagPerKey(tags: KeyValue[]): KeyValue[] {
  return [...new Map(tags.map((tag) => [tag.key, tag])).values()];
}

/** Set only by `semreg import-mlflow`: the source experiment's own times, which no REST call can set. */
export interface ImportedExperimentTimes {
  creationTime: number;
  lastUpdateTime: number;
}

export async function createExperiment(
  db: Queryable,
  input: { name?: string; artifact_location?: string; tags?: KeyValue[] },
  imported?: ImportedExperimentTimes,
): Promise<string> {
  const name = validateName(input.name, 'name');
  checkClientArtifactLocation(input.artifact_location);
  const tags = lastTagPerKey((input.tags ?? []).map(validateTag));
  const now = nowMs();
  return db.transaction(async (tx) => {
    let id: number;
    try {
      [{ experiment_id: id }] = await tx('experiments')
        .insert({
          name,
          creation_time: imported?.creationTime ?? now,
          last_update_time: imported?.lastUpdateTime ?? now,
        })
        .returning('experiment_id');
    } catch (err) {
      if (isUniqueViolation(err, EXPERIMENT_NAME_UNIQUE)) {
        throw alreadyExists(
          `Experiment(name=${name}) already exists. Error: experiment names are unique, deleted experiments included.`,
        );
      }
      throw err;
    }
    if (tags.length) await tx('experiment_tags').insert(tags.map((tag) => ({ experiment_id: id, ...tag })));
    return String(id);
  });
}

async function loadTags(db: Queryable, ids: Array<number | string>): Promise<Map<string, KeyValue[]>> {
  const byId = new Map<string, KeyValue[]>();
  if (!ids.length) return byId;
  const rows = await db('experiment_tags')
    .select('experiment_id', 'key', 'value')
    .whereIn('experiment_id', ids)
    .orderBy('key');
  for (const row of rows) {
    const list = byId.get(String(row.experiment_id)) ?? [];
    list.push({ key: row.key, value: row.value ?? '' });
    byId.set(String(row.experiment_id), list);
  }
  return byId;
}

/** Turns rows into MLflow `Experiment` messages, loading every row's tags in one query. */
export async function experimentsToJson(db: Queryable, rows: ExperimentRow[]): Promise<ExperimentJson[]> {
  const tags = await loadTags(
    db,
    rows.map((row) => row.experiment_id),
  );
  return rows.map((row) => {
    const experimentTags = tags.get(String(row.experiment_id));
    return {
      experiment_id: String(row.experiment_id),
      name: row.name,
      artifact_location: row.artifact_location,
      lifecycle_stage: row.lifecycle_stage,
      creation_time: row.creation_time,
      last_update_time: row.last_update_time,
      ...(experimentTags ? { tags: experimentTags } : {}),
    };
  });
}

export const EXPERIMENT_COLUMNS = [
  'experiment_id',
  'name',
  'artifact_location',
  'lifecycle_stage',
  'creation_time',
  'last_update_time',
];

/** The experiment row, deleted or not; 404 RESOURCE_DOES_NOT_EXIST when there is none. */
export async function requireExperiment(
  db: Queryable,
  experimentId: string | undefined,
  options: { forUpdate?: boolean } = {},
): Promise<ExperimentRow> {
  const id = parseExperimentId(experimentId);
  const query = db('experiments').select(EXPERIMENT_COLUMNS).where({ experiment_id: id }).first();
  if (options.forUpdate) query.forUpdate();
  const row = (await query) as ExperimentRow | undefined;
  if (!row) throw notFound(`No Experiment with id=${id} exists`);
  return row;
}

/** Runs and logged models may only be created in active experiments (ref server: INVALID_PARAMETER_VALUE). */
export async function requireActiveExperiment(
  db: Queryable,
  experimentId: string | undefined,
): Promise<ExperimentRow> {
  const row = await requireExperiment(db, experimentId);
  if (row.lifecycle_stage !== 'active') {
    throw invalidParameter(
      `The experiment ${row.experiment_id} must be in the 'active' state. Current state is ${row.lifecycle_stage}.`,
    );
  }
  return row;
}

export async function getExperiment(
  db: Queryable,
  experimentId: string | undefined,
): Promise<ExperimentJson> {
  const row = await requireExperiment(db, experimentId);
  return (await experimentsToJson(db, [row]))[0];
}

/** get-by-name returns deleted experiments too; 404 RESOURCE_DOES_NOT_EXIST is what makes set_experiment create one. */
export async function getExperimentByName(db: Queryable, name: string | undefined): Promise<ExperimentJson> {
  if (name === undefined || name === '') throw missingParameter('experiment_name');
  const row = (await db('experiments').select(EXPERIMENT_COLUMNS).where({ name }).first()) as
    ExperimentRow | undefined;
  if (!row) throw notFound(`Could not find experiment with name '${name}'`);
  return (await experimentsToJson(db, [row]))[0];
}

export async function renameExperiment(
  db: Queryable,
  experimentId: string | undefined,
  newName: string | undefined,
): Promise<void> {
  const name = validateName(newName, 'new_name');
  await db.transaction(async (tx) => {
    const row = await requireExperiment(tx, experimentId, { forUpdate: true });
    if (row.lifecycle_stage !== 'active') {
      throw invalidParameter(`Cannot rename a non-active experiment (id=${row.experiment_id}).`);
    }
    try {
      await tx('experiments')
        .where({ experiment_id: row.experiment_id })
        .update({ name, last_update_time: nowMs() });
    } catch (err) {
      if (isUniqueViolation(err, EXPERIMENT_NAME_UNIQUE))
        throw alreadyExists(`Experiment(name=${name}) already exists.`);
      throw err;
    }
  });
}

/** Soft delete; the experiment's active runs are deleted with it and come back on restore (MLflow semantics). */
export async function deleteExperiment(
  db: Queryable,
  experimentId: string | undefined,
  options: { at?: number } = {},
): Promise<void> {
  await db.transaction(async (tx) => {
    const row = await requireExperiment(tx, experimentId, { forUpdate: true });
    if (row.lifecycle_stage === 'deleted') return;
    // `at`: `semreg import-mlflow` deletes an imported experiment as of the source's last update.
    const now = options.at ?? nowMs();
    await tx('experiments')
      .where({ experiment_id: row.experiment_id })
      .update({ lifecycle_stage: 'deleted', last_update_time: now });
    await tx('runs')
      .where({ experiment_id: row.experiment_id, lifecycle_stage: 'active' })
      .update({ lifecycle_stage: 'deleted', deleted_time: now, deleted_with_experiment: true });
  });
}

export async function restoreExperiment(db: Queryable, experimentId: string | undefined): Promise<void> {
  await db.transaction(async (tx) => {
    const row = await requireExperiment(tx, experimentId, { forUpdate: true });
    if (row.lifecycle_stage === 'active') return;
    await tx('experiments')
      .where({ experiment_id: row.experiment_id })
      .update({ lifecycle_stage: 'active', last_update_time: nowMs() });
    await tx('runs')
      .where({ experiment_id: row.experiment_id, deleted_with_experiment: true })
      .update({ lifecycle_stage: 'active', deleted_time: null, deleted_with_experiment: false });
  });
}

export async function setExperimentTag(
  db: Queryable,
  experimentId: string | undefined,
  tag: KeyValue,
): Promise<void> {
  const { key, value } = validateTag(tag);
  const row = await requireActiveExperiment(db, experimentId);
  await db('experiment_tags')
    .insert({ experiment_id: row.experiment_id, key, value })
    .onConflict(['experiment_id', 'key'])
    .merge(['value']);
}

export async function deleteExperimentTag(
  db: Queryable,
  experimentId: string | undefined,
  key: string | undefined,
): Promise<void> {
  if (!key) throw missingParameter('key');
  const row = await requireActiveExperiment(db, experimentId);
  const deleted = await db('experiment_tags').where({ experiment_id: row.experiment_id, key }).delete();
  if (!deleted) throw notFound(`No tag with name: ${key} in experiment with id ${row.experiment_id}`);
}

/** experiments/search: one page, ordered and filtered per mlflow-compat.md §6.3. */
export async function searchExperiments(
  db: Queryable,
  input: {
    filter?: string;
    order_by?: string[];
    view_type?: unknown;
    max_results?: unknown;
    page_token?: string;
  },
): Promise<{ experiments: ExperimentJson[]; next_page_token?: string }> {
  const maxResults = parseMaxResults(input.max_results, { fallback: 1000, max: 50000 });
  const stages = lifecycleStages(parseViewType(input.view_type, 'view_type'));
  const offset = decodePageToken(input.page_token);
  const query = db('experiments as e')
    .select(EXPERIMENT_COLUMNS.map((c) => `e.${c}`))
    .whereIn('e.lifecycle_stage', stages);
  applyExperimentFilter(query, input.filter);
  applyExperimentOrder(query, input.order_by ?? []);
  const rows = (await query.offset(offset).limit(maxResults + 1)) as ExperimentRow[];
  const page = paginate(rows, offset, maxResults);
  return {
    experiments: await experimentsToJson(db, page.items),
    ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}),
  };
}
