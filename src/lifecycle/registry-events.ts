import type { Queryable } from '../db/knex';
import type { ModelVersionJson } from '../registry/views';
import { EventInput, recordEvent } from './events';

/**
 * One-line hooks the registry services call inside their transactions, so every change lands in the history
 * (and fires its webhooks) with the change itself. They translate MLflow's JSON shapes into the event
 * conventions documented in events.ts.
 */
type Model = { id: number; name: string };

function tagMap(tags: Array<{ key: string; value?: string }> | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).map((t) => [t.key, t.value ?? '']));
}

function semverOf(version: ModelVersionJson): string | null {
  return version.tags?.find((t) => t.key === 'semver')?.value ?? null;
}

/** A model create records its event in the statement that creates it (registry/registered-models.ts). */
export function modelCreatedEvent(
  modelName: string,
  model: { tags: Array<{ key: string; value?: string }>; description: string | null },
): EventInput {
  return {
    type: 'model.created',
    model: modelName,
    after: { tags: tagMap(model.tags), description: model.description },
  };
}

export async function modelRenamed(trx: Queryable, model: Model, newName: string): Promise<void> {
  await recordEvent(trx, {
    type: 'model.renamed',
    model: newName,
    registeredModelId: model.id,
    before: { name: model.name },
    after: { name: newName },
  });
}

export async function modelDeleted(trx: Queryable, model: Model): Promise<void> {
  await recordEvent(trx, { type: 'model.deleted', model: model.name, registeredModelId: model.id });
}

/**
 * A version create records its event in the statement that creates it (registry/version-insert.ts), which also
 * fills in the model's id: this only builds the event.
 */
export function versionCreatedEvent(modelName: string, version: ModelVersionJson): EventInput {
  return {
    type: 'version.created',
    model: modelName,
    version: version.version,
    semver: semverOf(version),
    stage: version.current_stage,
    after: {
      source: version.source,
      run_id: version.run_id ?? null,
      tags: tagMap(version.tags),
      description: version.description ?? null,
      current_stage: version.current_stage,
    },
  };
}

export async function versionDeleted(
  trx: Queryable,
  model: Model,
  version: { version: number; semver: string; current_stage: string },
): Promise<void> {
  await recordEvent(trx, {
    type: 'version.deleted',
    model: model.name,
    registeredModelId: model.id,
    version: version.version,
    semver: version.semver,
    before: { stage: version.current_stage },
  });
}

/** `version` absent → a registered-model tag. */
export async function tagSet(
  trx: Queryable,
  model: Model,
  key: string,
  value: string | null | undefined,
  version?: number,
): Promise<void> {
  await recordEvent(trx, {
    type: 'tag.set',
    model: model.name,
    registeredModelId: model.id,
    version,
    after: { key, value: value ?? null },
  });
}

export async function tagDeleted(trx: Queryable, model: Model, key: string, version?: number): Promise<void> {
  await recordEvent(trx, {
    type: 'tag.deleted',
    model: model.name,
    registeredModelId: model.id,
    version,
    before: { key },
  });
}

export async function aliasSet(
  trx: Queryable,
  model: Model,
  alias: string,
  version: number,
  previous: number | undefined,
): Promise<void> {
  if (previous === version) return; // pointing an alias where it already points changes nothing
  const semver =
    (await trx('model_versions').where({ registered_model_id: model.id, version }).first('semver'))?.semver ??
    null;
  await recordEvent(trx, {
    type: 'alias.set',
    model: model.name,
    registeredModelId: model.id,
    version,
    semver,
    alias,
    before: previous === undefined ? null : { version: String(previous) },
    after: { version: String(version) },
  });
}

export async function aliasDeleted(
  trx: Queryable,
  model: Model,
  alias: string,
  previous: number,
): Promise<void> {
  await recordEvent(trx, {
    type: 'alias.deleted',
    model: model.name,
    registeredModelId: model.id,
    alias,
    before: { version: String(previous) },
  });
}
