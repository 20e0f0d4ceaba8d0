import type { Queryable } from '../db/knex';
import { alreadyExists } from '../errors';
import { formatSemver, SemverParts } from './semver';

/**
 * Semvers a model published as a package and then deleted stay reserved for the bytes they carried
 * (`deleted_package_files`, migration 008): npm and crates.io never let a version be re-published with other
 * content, because consumers that pinned it would silently get something else. The package registry lets
 * the same bytes come back (`packages/upload.ts`); MLflow's `model-versions/create`, whose files semreg
 * cannot compare, may not take such a semver at all, and the automatic next patch skips past it
 * (`highest_release`, migration 012).
 */
function deletedFilesOf(db: Queryable, name: string) {
  return db('deleted_package_files').where({ model_name: name });
}

export async function isSemverReserved(db: Queryable, name: string, semver: SemverParts): Promise<boolean> {
  const row = await deletedFilesOf(db, name)
    .where({ major: semver.major, minor: semver.minor, patch: semver.patch, prerelease: semver.prerelease })
    .first('path');
  return row !== undefined;
}

export async function refuseReservedSemver(db: Queryable, name: string, semver: SemverParts): Promise<void> {
  if (await isSemverReserved(db, name, semver)) {
    throw alreadyExists(
      `Semantic version ${formatSemver(semver)} of registered model '${name}' was published as a package and deleted; a published version is never reused for other content.`,
    );
  }
}

/** The published sha256 of one deleted package file, if that path of that version was ever deleted. */
export async function deletedFileDigest(
  db: Queryable,
  name: string,
  semver: SemverParts,
  path: string,
): Promise<string | undefined> {
  const row = await deletedFilesOf(db, name)
    .where({
      major: semver.major,
      minor: semver.minor,
      patch: semver.patch,
      prerelease: semver.prerelease,
      path,
    })
    .first('sha256');
  return row?.sha256;
}

/** Keeps the digest of a package file being deleted (the last deleted bytes of a path win). */
export async function reserveDeletedFile(
  db: Queryable,
  name: string,
  semver: Pick<SemverParts, 'major' | 'minor' | 'patch' | 'prerelease'>,
  file: { path: string; sha256: string },
  now = Date.now(),
): Promise<void> {
  await db('deleted_package_files')
    .insert({
      model_name: name,
      major: semver.major,
      minor: semver.minor,
      patch: semver.patch,
      prerelease: semver.prerelease,
      path: file.path,
      sha256: file.sha256,
      deleted_at: now,
    })
    .onConflict(['model_name', 'major', 'minor', 'patch', 'prerelease', 'path'])
    .merge(['sha256', 'deleted_at']);
}

/**
 * A rename may not carry a version into a name under which its semver is reserved: otherwise renaming a
 * model into (or away from and back to) a name would serve other bytes under a deleted, published version.
 */
export async function refuseRenameOntoReservedSemver(
  db: Queryable,
  registeredModelId: number,
  newName: string,
): Promise<void> {
  const clash: { semver: string } | undefined = await db('model_versions as mv')
    .where('mv.registered_model_id', registeredModelId)
    .whereExists((reserved) =>
      reserved
        .from('deleted_package_files as d')
        .where('d.model_name', newName)
        .whereRaw(
          'd.major = mv.major AND d.minor = mv.minor AND d.patch = mv.patch AND d.prerelease = mv.prerelease',
        ),
    )
    .orderBy('mv.version')
    .first('mv.semver');
  if (clash) {
    throw alreadyExists(
      `Registered model '${newName}' published ${clash.semver} as a package and deleted it; a model with a version ${clash.semver} cannot take that name (a published version is never reused for other content).`,
    );
  }
}
