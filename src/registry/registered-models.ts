import type { Db, Queryable } from '../db/knex';
import { prepared } from '../db/prepared';
import { isUniqueViolation } from '../db/pg-errors';
import { alreadyExists, notFound, registeredModelNotFound } from '../errors';
import { eventRow } from '../lifecycle/events';
import {
  modelCreatedEvent,
  modelDeleted,
  modelRenamed,
  tagDeleted,
  tagSet,
} from '../lifecycle/registry-events';
import { eventCtes } from '../lifecycle/webhook-outbox';
import { refuseRenameOntoReservedSemver } from './reserved-semvers';
import { validateDescription, validateModelName, validateTagKey, validateTagValue } from './validation';
import {
  findRegisteredModelJson,
  newRegisteredModelToJson,
  REGISTERED_MODEL_COLUMNS,
  RegisteredModelJson,
  RegisteredModelRow,
  registeredModelToJson,
  TagRow,
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

/**
 * The model, its tags and its `model.created` event (with its webhook deliveries) in one statement that
 * commits on its own, which reads the tags back as every answer lists them (ordered by key in the database's
 * collation). One text for any number of tags (they arrive as two arrays), so it runs prepared.
 */
async function insertModel(
  db: Queryable,
  model: { name: string; description: string | null; userId: string | null; deploymentJobId: string | null },
  tags: Tag[],
  now: number,
): Promise<RegisteredModelRow & { tag_list: TagRow[] }> {
  const { columns, event } = eventRow(
    modelCreatedEvent(model.name, { tags, description: model.description }),
  );
  const recorded = eventCtes(columns, event, {
    from: 'model',
    columns: { registered_model_id: 'model.id' },
    placeholders: [],
  });
  const statement = `
    WITH model AS (
      INSERT INTO registered_models (name, description, user_id, deployment_job_id, creation_timestamp, last_updated_timestamp)
      VALUES (?, ?, ?, ?, ?, ?)
      RETURNING ${REGISTERED_MODEL_COLUMNS.join(', ')}
    ), tags AS (
      INSERT INTO registered_model_tags (registered_model_id, key, value)
      SELECT model.id, tag.key, tag.value FROM model, unnest(CAST(? AS text[]), CAST(? AS text[])) AS tag(key, value)
      RETURNING key, value
    ), ${recorded.sql}
    SELECT model.*, (SELECT coalesce(json_agg(json_build_object('key', key, 'value', value) ORDER BY key), '[]')
                       FROM tags) AS tag_list
      FROM model, notified`;
  const bindings = [
    model.name,
    model.description,
    model.userId,
    model.deploymentJobId,
    now,
    now,
    tags.map((tag) => tag.key),
    // A tag may have no value: pg sends the NULLs in the array, which knex's binding types do not allow for.
    tags.map((tag) => tag.value ?? null) as string[],
    ...recorded.bindings,
  ];
  try {
    const { rows } = await prepared(
      `insert-registered-model-${recorded.notifications}`,
      db.raw(statement, bindings),
    );
    return rows[0];
  } catch (err) {
    if (isUniqueViolation(err, 'registered_models_name_key'))
      throw alreadyExists(`Registered Model (name=${model.name}) already exists.`);
    throw err;
  }
}

export async function createRegisteredModel(
  db: Db,
  input: CreateRegisteredModelInput,
): Promise<RegisteredModelJson> {
  const name = validateModelName(input.name);
  const tags = validateTags(input.tags);
  const description = validateDescription(input.description);
  const row = await insertModel(
    db,
    {
      name,
      description: description ?? null,
      userId: input.userId ?? null,
      deploymentJobId: input.deployment_job_id ?? null,
    },
    tags,
    input.importedCreationTimestamp ?? Date.now(),
  );
  return newRegisteredModelToJson(row, row.tag_list);
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
