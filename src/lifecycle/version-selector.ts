import semver from 'semver';
import { prepared } from '../db/prepared';
import type { Queryable } from '../db/knex';
import { invalidParameter, notFound } from '../errors';
import { findModelVersion } from '../registry/model-versions';
import { parseRange, parseSemver } from '../registry/semver';
import { parseVersionNumber } from '../registry/validation';
import type { ModelVersionRow } from '../registry/views';

/**
 * Picks one version of a model by exactly one selector: version number, exact semver, semver range
 * (highest satisfying, prereleases only when the range names one, as npm), alias, or stage; none → the
 * latest (highest version number, MLflow's `latest`). Shared by promotion and signed download links.
 */
export interface VersionSelector {
  version?: string | number;
  semver?: string;
  range?: string;
  alias?: string;
  stage?: string;
}

export function describeSelector(selector: VersionSelector): string {
  const [key, value] = Object.entries(selector).find(([, v]) => v !== undefined && v !== '') ?? [
    'latest',
    '',
  ];
  return key === 'latest' ? 'latest' : `${key} ${value}`;
}

export async function highestInStage(
  db: Queryable,
  registeredModelId: number,
  stage: string,
): Promise<number | undefined> {
  const row = await db('model_versions')
    .where({ registered_model_id: registeredModelId })
    .whereRaw('lower(current_stage) = lower(?)', [stage])
    .max('version as version')
    .first();
  return row?.version ?? undefined;
}

/** An alias row, else a stage of the same name (every stage is also an alias: `models:/m@prod`). */
export async function versionForAlias(
  db: Queryable,
  registeredModelId: number,
  alias: string,
): Promise<number | undefined> {
  const row = await prepared(
    'alias-version',
    db('registered_model_aliases').where({ registered_model_id: registeredModelId, alias }).first('version'),
  );
  return row ? row.version : versionForStageAlias(db, registeredModelId, alias);
}

/** A stage used as an alias: its highest version (`None` is no stage, so no alias either). */
export async function versionForStageAlias(
  db: Queryable,
  registeredModelId: number,
  alias: string,
): Promise<number | undefined> {
  return alias.toLowerCase() === 'none' ? undefined : highestInStage(db, registeredModelId, alias);
}

export async function selectVersion(
  db: Queryable,
  model: { id: number; name: string },
  selector: VersionSelector,
): Promise<ModelVersionRow> {
  const given = Object.entries(selector).filter(([, v]) => v !== undefined && v !== '');
  if (given.length > 1) {
    throw invalidParameter(
      `Give at most one of version, semver, range, alias, stage (got ${given.map(([k]) => k).join(', ')}).`,
    );
  }
  const missing = (): Error =>
    notFound(`No version of model '${model.name}' matches ${describeSelector(selector)}.`);
  let number: number | undefined;
  if (selector.version !== undefined && selector.version !== '') {
    number = parseVersionNumber(selector.version);
  } else if (selector.semver) {
    const parts = parseSemver(selector.semver);
    const row = await db('model_versions')
      .where({
        registered_model_id: model.id,
        major: parts.major,
        minor: parts.minor,
        patch: parts.patch,
        prerelease: parts.prerelease,
      })
      .first('version');
    number = row?.version;
  } else if (selector.range) {
    const range = parseRange(selector.range);
    if (!range) throw invalidParameter(`Invalid semver range '${selector.range.slice(0, 100)}'.`);
    const candidates: Array<{ version: number; semver: string }> = await db('model_versions')
      .where({ registered_model_id: model.id })
      .select('version', 'semver');
    const best = semver.maxSatisfying(
      candidates.map((c) => c.semver),
      range,
    );
    number = best === null ? undefined : candidates.find((c) => c.semver === best)?.version;
  } else if (selector.alias) {
    number = await versionForAlias(db, model.id, selector.alias);
  } else if (selector.stage) {
    number = await highestInStage(db, model.id, selector.stage);
  } else {
    number =
      (await db('model_versions').where({ registered_model_id: model.id }).max('version as version').first())
        ?.version ?? undefined;
  }
  if (number === undefined || number === null) throw missing();
  return findModelVersion(db, model.name, number);
}

/** A version's tags as a map (for the policy's required_tags). */
export async function versionTags(db: Queryable, modelVersionId: number): Promise<Record<string, string>> {
  const rows: Array<{ key: string; value: string }> = await db('model_version_tags')
    .where({ model_version_id: modelVersionId })
    .select('key', 'value');
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}
