import crypto from 'node:crypto';
import type { Queryable } from '../db/knex';
import { invalidParameter, invalidValue, missingParameter, notFound } from '../errors';
import { requireActiveExperiment, type KeyValue } from './experiments';
import { generateRunName } from './run-names';
import { RUN_COLUMNS, RunInfoJson, RunJson, RunRow, runInfoToJson, runsToJson } from './run-view';
import { nowMs, optionalInt64, TIMESTAMP_RANGE } from './values';
import {
  MAX_RUN_NAME_LENGTH,
  MAX_RUN_TAG_VALUE_LENGTH,
  truncateValue,
  validateKey,
  validateLength,
} from './validation';

/** Runs: create, get, update, soft delete/restore, tags (mlflow-compat.md §3.2). */
export const RUN_NAME_TAG = 'mlflow.runName';
const RUN_STATUSES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'] as const;

/**
 * The artifact root of a run (`mlflow-artifacts:/<exp>/<run_id>/artifacts`), for the registry's `runs:/`
 * sources. Deleted runs resolve too: MLflow's get_run returns them.
 */
export async function findRunArtifactUri(db: Queryable, runId: string): Promise<string | undefined> {
  const row = await db('runs').select('artifact_uri').where({ run_uuid: runId }).first();
  return row?.artifact_uri;
}

export async function requireRun(
  db: Queryable,
  runId: string,
  options: { forUpdate?: boolean } = {},
): Promise<RunRow> {
  const query = db('runs').select(RUN_COLUMNS).where({ run_uuid: runId }).first();
  if (options.forUpdate) query.forUpdate();
  const row = (await query) as RunRow | undefined;
  if (!row) throw notFound(`Run with id=${runId} not found`);
  return row;
}

/** Writes to a deleted run are client errors in MLflow (INVALID_PARAMETER_VALUE, not 404). */
export async function requireActiveRun(
  db: Queryable,
  runId: string,
  options: { forUpdate?: boolean } = {},
): Promise<RunRow> {
  const row = await requireRun(db, runId, options);
  if (row.lifecycle_stage !== 'active') {
    throw invalidParameter(
      `The run ${runId} must be in the 'active' state. Current state is ${row.lifecycle_stage}.`,
    );
  }
  return row;
}

function validateRunName(name: string): string {
  return validateLength(name, 'run_name', MAX_RUN_NAME_LENGTH);
}

/** A validated run tag; values past MLflow's 8000 characters are truncated as MLflow does by default. */
export function normaliseRunTag(tag: { key?: string; value?: string }): KeyValue & { value: string } {
  const key = validateKey(tag.key, 'tag');
  return { key, value: truncateValue(tag.value, MAX_RUN_TAG_VALUE_LENGTH) };
}

/**
 * Upserts tags (later duplicates win) and keeps the run's name in step with `mlflow.runName`, which MLflow
 * treats as the same thing as `run_name`.
 */
export async function upsertRunTags(
  db: Queryable,
  runId: string,
  tags: Array<{ key?: string; value?: string }>,
): Promise<void> {
  const unique = [...new Map(tags.map(normaliseRunTag).map((tag) => [tag.key, tag])).values()];
  if (!unique.length) return;
  await db('run_tags')
    .insert(unique.map((tag) => ({ run_uuid: runId, ...tag })))
    .onConflict(['run_uuid', 'key'])
    .merge(['value']);
  const rename = unique.find((tag) => tag.key === RUN_NAME_TAG);
  if (rename)
    await db('runs')
      .where({ run_uuid: runId })
      .update({ name: validateRunName(rename.value) });
}

export async function createRun(
  db: Queryable,
  input: {
    experiment_id?: string;
    user_id?: string;
    run_name?: string;
    start_time?: unknown;
    tags?: KeyValue[];
  },
  /** Set only by `semreg import-mlflow`: the source run's id, kept so `runs:/<id>/…` URIs still resolve. */
  imported?: { runId: string },
): Promise<RunJson> {
  const tags = (input.tags ?? []).map(normaliseRunTag);
  const tagName = [...tags].reverse().find((tag) => tag.key === RUN_NAME_TAG)?.value;
  if (input.run_name && tagName !== undefined && tagName !== input.run_name) {
    throw invalidParameter(
      `Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='${input.run_name}', mlflow.runName='${tagName}').`,
    );
  }
  const name = validateRunName(input.run_name || tagName || generateRunName());
  const startTime = optionalInt64(input.start_time, 'start_time', nowMs(), TIMESTAMP_RANGE);
  const runId = imported?.runId ?? crypto.randomUUID().replace(/-/g, '');
  await db.transaction(async (tx) => {
    const experiment = await requireActiveExperiment(tx, input.experiment_id || '0');
    await tx('runs').insert({
      run_uuid: runId,
      experiment_id: experiment.experiment_id,
      name,
      user_id: input.user_id ?? null,
      status: 'RUNNING',
      start_time: startTime,
    });
    await upsertRunTags(tx, runId, [
      ...tags.filter((tag) => tag.key !== RUN_NAME_TAG),
      { key: RUN_NAME_TAG, value: name },
    ]);
  });
  return getRun(db, runId);
}

export async function getRun(db: Queryable, runId: string): Promise<RunJson> {
  const row = await requireRun(db, runId);
  return (await runsToJson(db, [row]))[0];
}

function parseRunStatus(value: unknown): RunInfoJson['status'] {
  if (typeof value === 'number' && value >= 1 && value <= 5) return RUN_STATUSES[value - 1];
  if (typeof value === 'string' && (RUN_STATUSES as readonly string[]).includes(value))
    return value as RunInfoJson['status'];
  throw invalidValue('status', value, `expected one of ${RUN_STATUSES.join(', ')}.`);
}

export async function updateRun(
  db: Queryable,
  runId: string,
  input: { status?: unknown; end_time?: unknown; run_name?: string },
): Promise<RunInfoJson> {
  return db.transaction(async (tx) => {
    await requireActiveRun(tx, runId, { forUpdate: true });
    const changes: Record<string, unknown> = {};
    if (input.status !== undefined) changes.status = parseRunStatus(input.status);
    if (input.end_time !== undefined)
      changes.end_time = optionalInt64(input.end_time, 'end_time', 0, TIMESTAMP_RANGE);
    if (Object.keys(changes).length) await tx('runs').where({ run_uuid: runId }).update(changes);
    if (input.run_name) await upsertRunTags(tx, runId, [{ key: RUN_NAME_TAG, value: input.run_name }]);
    return runInfoToJson(await requireRun(tx, runId));
  });
}

export async function deleteRun(db: Queryable, runId: string): Promise<void> {
  await requireRun(db, runId);
  await db('runs')
    .where({ run_uuid: runId })
    .update({ lifecycle_stage: 'deleted', deleted_time: nowMs(), deleted_with_experiment: false });
}

export async function restoreRun(db: Queryable, runId: string): Promise<void> {
  await requireRun(db, runId);
  await db('runs')
    .where({ run_uuid: runId })
    .update({ lifecycle_stage: 'active', deleted_time: null, deleted_with_experiment: false });
}

export async function setRunTag(
  db: Queryable,
  runId: string,
  tag: { key?: string; value?: string },
): Promise<void> {
  const normalised = normaliseRunTag(tag);
  await db.transaction(async (tx) => {
    // The runs row first (see logBatch): tag writes may update it, and runs/update locks it before tags.
    await requireActiveRun(tx, runId, { forUpdate: true });
    await upsertRunTags(tx, runId, [normalised]);
  });
}

export async function deleteRunTag(db: Queryable, runId: string, key: string | undefined): Promise<void> {
  if (!key) throw missingParameter('key');
  await db.transaction(async (tx) => {
    await requireActiveRun(tx, runId, { forUpdate: true });
    const deleted = await tx('run_tags').where({ run_uuid: runId, key }).delete();
    if (!deleted) throw notFound(`No tag with name: ${key} in run with id ${runId}`);
  });
}
