import type { Db, Queryable } from '../db/knex';
import { prepared } from '../db/prepared';
import { isUniqueViolation } from '../db/pg-errors';
import { alreadyExists, notFound, registeredModelNotFound } from '../errors';
import { modelCreated, modelDeleted, modelRenamed, tagDeleted, tagSet } from '../lifecycle/registry-events';
import { refuseRenameOntoReservedSemver } from './reserved-semvers';
import { validateDescription, validateModelName, validateTagKey, validateTagValue } from './validation';
import {
  findRegisteredModelJson,
  newRegisteredModelToJson,
  REGISTERED_MODEL_COLUMNS,
  RegisteredModelJson,
  RegisteredModelRow,
  registeredModelToJson,
} from './views';

/** Registered models: create, read, rename, update, delete and tags (mlflow-compat.md §3.6). */
export interface Tag {
  key: string;
  value?: string;
}

export function validateTags(tags: Tag[] | undefined): Tag[] {
  return (tags ?? []).map((tag) => ({
    key: validateTagKey(tag.key),
    value: validateTagValue(tag.value, tag.key),
  }));
}

export async function findRegisteredModel(db: Queryable, name: string): Promise<RegisteredModelRow> {
  const row = await prepared(
    'registered-model-by-name',
    db<RegisteredModelRow>('registered_models')
      .where({ name })
      .first(...REGISTERED_MODEL_COLUMNS),
  );
  if (!row) throw registeredModelNotFound(name);
  return row as RegisteredModelRow;
}

/** Locks the model row for the rest of the transaction (version allocation and stage moves queue on it). */
export async function lockRegisteredModel(trx: Queryable, name: string): Promise<RegisteredModelRow> {
  const row = await trx<RegisteredModelRow>('registered_models').where({ name }).forUpdate().first();
  if (!row) throw registeredModelNotFound(name);
  return row;
}

/**
 * Locks the model's row, takes its next version number and marks the model updated, in one statement: version
 * creates of one model queue on this lock, so it is held for as few round trips as possible. The number
 * allocated is `next_version - 1` of the returned row.
 */
export async function allocateVersionNumber(
  trx: Queryable,
  name: string,
  now: number,
  wanted?: number,
): Promise<RegisteredModelRow> {
  // `wanted` (semreg import-mlflow): skip ahead to the source's number, leaving its gaps; never back.
  const next =
    wanted === undefined ? trx.raw('next_version + 1') : trx.raw('GREATEST(next_version, ?) + 1', [wanted]);
  const [row] = await trx<RegisteredModelRow>('registered_models')
    .where({ name })
    .update({ next_version: next, last_updated_timestamp: now } as never)
    .returning('*');
  if (!row) throw registeredModelNotFound(name);
  if (wanted !== undefined && row.next_version - 1 !== wanted)
    throw alreadyExists(
      `Registered model '${name}' already has versions numbered ${wanted} or above; version ${wanted} cannot be created.`,
    );
  return row as RegisteredModelRow;
}

export async function touchRegisteredModel(trx: Queryable, id: number, now = Date.now()): Promise<void> {
  await trx('registered_models').where({ id }).update({ last_updated_timestamp: now });
}

export interface CreateRegisteredModelInput {
  name: string;
  tags?: Tag[];
  description?: string;
  deployment_job_id?: string;
  userId?: string;
  /** Set only by `semreg import-mlflow`: the source model's creation time (epoch ms). */
  importedCreationTimestamp?: number;
}

export async function createRegisteredModel(
  db: Db,
  input: CreateRegisteredModelInput,
): Promise<RegisteredModelJson> {
  const name = validateModelName(input.name);
  const tags = validateTags(input.tags);
  const description = validateDescription(input.description);
  return db.transaction(async (trx) => {
    const now = input.importedCreationTimestamp ?? Date.now();
    let row: RegisteredModelRow;
    try {
      [row] = await trx('registered_models')
        .insert({
          name,
          description: description ?? null,
          user_id: input.userId ?? null,
          deployment_job_id: input.deployment_job_id ?? null,
          creation_timestamp: now,
          last_updated_timestamp: now,
        })
        .returning('*');
    } catch (err) {
      if (isUniqueViolation(err)) throw alreadyExists(`Registered Model (name=${name}) already exists.`);
      throw err;
    }
    if (tags.length > 0) {
      await trx('registered_model_tags').insert(
        tags.map((tag) => ({ registered_model_id: row.id, key: tag.key, value: tag.value ?? null })),
      );
    }
    const json = await newRegisteredModelToJson(trx, row, tags.length > 0);
    await modelCreated(trx, row, json);
    return json;
  });
}

export async function getRegisteredModel(db: Queryable, name: string): Promise<RegisteredModelJson> {
  const model = await findRegisteredModelJson(db, validateModelName(name));
  if (!model) throw registeredModelNotFound(name);
  return model;
}

export async function renameRegisteredModel(
  db: Db,
  name: string,
  newName: string,
): Promise<RegisteredModelJson> {
  validateModelName(name);
  validateModelName(newName, 'new_name');
  return db.transaction(async (trx) => {
    const row = await lockRegisteredModel(trx, name);
    await refuseRenameOntoReservedSemver(trx, row.id, newName);
    try {
      const [renamed] = await trx('registered_models')
        .where({ id: row.id })
        .update({ name: newName, last_updated_timestamp: Date.now() })
        .returning('*');
      await modelRenamed(trx, row, newName);
      return registeredModelToJson(trx, renamed);
    } catch (err) {
      if (isUniqueViolation(err)) throw alreadyExists(`Registered Model (name=${newName}) already exists.`);
      throw err;
    }
  });
}

export async function updateRegisteredModel(
  db: Db,
  input: { name: string; description?: string; deployment_job_id?: string },
): Promise<RegisteredModelJson> {
  validateModelName(input.name);
  const description = validateDescription(input.description);
  return db.transaction(async (trx) => {
    const row = await lockRegisteredModel(trx, input.name);
    const changes: Partial<RegisteredModelRow> = { last_updated_timestamp: Date.now() };
    if (description !== undefined) changes.description = description;
    if (input.deployment_job_id !== undefined) changes.deployment_job_id = input.deployment_job_id;
    const [updated] = await trx('registered_models').where({ id: row.id }).update(changes).returning('*');
    return registeredModelToJson(trx, updated);
  });
}

/** A hard delete with every version, tag and alias; a re-created model starts again at version 1 (MLflow). */
export async function deleteRegisteredModel(db: Db, name: string): Promise<void> {
  validateModelName(name);
  await db.transaction(async (trx) => {
    const row = await lockRegisteredModel(trx, name);
    await trx('registered_models').where({ id: row.id }).delete();
    await modelDeleted(trx, row);
  });
}

export async function setRegisteredModelTag(
  db: Db,
  name: string,
  key: string,
  value: string | undefined,
): Promise<void> {
  validateModelName(name);
  validateTagKey(key);
  validateTagValue(value, key);
  await db.transaction(async (trx) => {
    const row = await lockRegisteredModel(trx, name);
    await trx('registered_model_tags')
      .insert({ registered_model_id: row.id, key, value: value ?? null })
      .onConflict(['registered_model_id', 'key'])
      .merge();
    await touchRegisteredModel(trx, row.id);
    await tagSet(trx, row, key, value);
  });
}

export async function deleteRegisteredModelTag(db: Db, name: string, key: string): Promise<void> {
  validateModelName(name);
  validateTagKey(key);
  await db.transaction(async (trx) => {
    const row = await lockRegisteredModel(trx, name);
    const deleted = await trx('registered_model_tags').where({ registered_model_id: row.id, key }).delete();
    if (deleted === 0) throw notFound(`No tag with name: ${key} in registered model ${name}.`);
    await touchRegisteredModel(trx, row.id);
    await tagDeleted(trx, row, key);
  });
}
