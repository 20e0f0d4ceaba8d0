import semver from 'semver';
import type { Queryable } from '../db/knex';
import { invalidParameter, MlflowError, notFound, registeredModelNotFound } from '../errors';
import { isStrictSemver, parseRange, parseSemver, SemverParts } from '../registry/semver';
import { validateModelName } from '../registry/validation';

/**
 * Package versions: model versions whose source is their package folder. Lookups by exact semver (uploads,
 * deletes) and by selector on reads: a semver, `latest` (the highest release) or an npm-style range
 * (`^1.4`), always among the model's package versions.
 */
export interface PackageVersionRow {
  id: number;
  registered_model_id: number;
  name: string;
  version: number;
  semver: string;
  major: number;
  minor: number;
  patch: number;
  prerelease: string;
  build: string;
  source: string;
  /** The folder the version owns; null for a version MLflow's create made (not a package). */
  package_folder: string | null;
  ci_job_id: string | null;
  creation_timestamp: number;
}

/** A version a package upload created: it owns its folder. */
export type PackageVersion = PackageVersionRow & { package_folder: string };

export interface PackageVersionRef {
  name: string;
  version: string;
  semver: string;
}

export const versionRef = (row: PackageVersionRow): PackageVersionRef => ({
  name: row.name,
  version: String(row.version),
  semver: row.semver,
});

const COLUMNS = [
  'mv.id',
  'mv.registered_model_id',
  'rm.name',
  'mv.version',
  'mv.semver',
  'mv.major',
  'mv.minor',
  'mv.patch',
  'mv.prerelease',
  'mv.build',
  'mv.source',
  'mv.package_folder',
  'mv.ci_job_id',
  'mv.creation_timestamp',
];

function versions(db: Queryable) {
  return db('model_versions as mv')
    .join('registered_models as rm', 'rm.id', 'mv.registered_model_id')
    .select(COLUMNS);
}

/** Only versions created by a package upload: they own a package folder (the database says so, not `source`). */
function packagesOnly(query: ReturnType<typeof versions>) {
  return query.whereNotNull('mv.package_folder');
}

export function isPackageVersion(row: PackageVersionRow): row is PackageVersion {
  return row.package_folder !== null;
}

export async function findRegisteredModelId(db: Queryable, name: string): Promise<number | undefined> {
  const row = await db('registered_models').where({ name }).first('id');
  return row?.id;
}

/** Any version (package or not) with the same precedence: semver.org §10, build metadata does not count. */
export async function findVersionBySemver(
  db: Queryable,
  registeredModelId: number,
  parts: SemverParts,
): Promise<PackageVersionRow | undefined> {
  return versions(db)
    .where({
      'mv.registered_model_id': registeredModelId,
      'mv.major': parts.major,
      'mv.minor': parts.minor,
      'mv.patch': parts.patch,
      'mv.prerelease': parts.prerelease,
    })
    .first();
}

export function notAPackage(row: PackageVersionRow): MlflowError {
  return new MlflowError(
    'RESOURCE_CONFLICT',
    `Version ${row.version} (${row.semver}) of registered model '${row.name}' was not created from a package upload; its files live at ${row.source}.`,
  );
}

/** Package versions of a model in semver order, lowest first, with their file counts. */
export async function listPackageVersions(
  db: Queryable,
  registeredModelId: number,
): Promise<Array<PackageVersionRow & { file_count: number }>> {
  return packagesOnly(versions(db))
    .where('mv.registered_model_id', registeredModelId)
    .select(
      db.raw('(SELECT count(*)::int FROM package_files pf WHERE pf.model_version_id = mv.id) AS file_count'),
    )
    .orderBy([
      { column: 'mv.major', order: 'asc' },
      { column: 'mv.minor', order: 'asc' },
      { column: 'mv.patch', order: 'asc' },
      { column: 'mv.prerelease_key', order: 'asc' },
    ]);
}

export async function requireRegisteredModelId(
  db: Queryable,
  rawName: string,
): Promise<{ id: number; name: string }> {
  const name = validateModelName(rawName, 'model');
  const id = await findRegisteredModelId(db, name);
  if (id === undefined) throw registeredModelNotFound(name);
  return { id, name };
}

/** Resolves `<semver>`, `latest` or a range to one package version, or 404 naming the selector. */
export async function resolvePackageVersion(
  db: Queryable,
  rawName: string,
  selector: string,
): Promise<PackageVersion> {
  const model = await requireRegisteredModelId(db, rawName);
  const scoped = () => packagesOnly(versions(db)).where('mv.registered_model_id', model.id);
  let row: PackageVersion | undefined;
  if (selector === 'latest') {
    row = await scoped()
      .where('mv.prerelease', '')
      .orderBy([
        { column: 'mv.major', order: 'desc' },
        { column: 'mv.minor', order: 'desc' },
        { column: 'mv.patch', order: 'desc' },
      ])
      .first();
  } else if (isStrictSemver(selector)) {
    const parts = parseSemver(selector);
    row = await scoped()
      .where({
        'mv.major': parts.major,
        'mv.minor': parts.minor,
        'mv.patch': parts.patch,
        'mv.prerelease': parts.prerelease,
      })
      .first();
  } else {
    const range = parseRange(selector);
    if (!range) {
      throw invalidParameter(
        `Invalid version selector '${selector.slice(0, 100)}': a semantic version, 'latest' or a range such as ^1.4.`,
      );
    }
    const candidates: PackageVersion[] = await scoped();
    const best = semver.maxSatisfying(
      candidates.map((candidate) => candidate.semver),
      range,
    );
    row = candidates.find((candidate) => candidate.semver === best);
  }
  if (!row) throw notFound(`No package version of '${model.name}' matches '${selector.slice(0, 100)}'.`);
  return row;
}
