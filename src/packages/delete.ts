import type { Db, Queryable } from '../db/knex';
import { MlflowError } from '../errors';
import { recordEvent } from '../lifecycle/events';
import { deleteModelVersion, findModelVersion } from '../registry/model-versions';
import { deleteRegisteredModel, lockRegisteredModel } from '../registry/registered-models';
import { reserveDeletedFile } from '../registry/reserved-semvers';
import { parseVersionNumber, validateModelName } from '../registry/validation';
import type { ArtifactStore } from '../storage/artifact-store';
import { PACKAGE_ROOT } from '../storage/key-space';
import { deleteStoredTree } from '../storage/stored-files';
import { listPackageFiles, PackageFileRow, requirePackageFile } from './package-files';
import type { PackageVersion, PackageVersionRow } from './package-versions';
import { removeUnreferencedFiles } from './stale-files';
import { versionLockScope } from './upload-lock';

/**
 * Deleting package files, whichever route asks (DELETE /api/packages, or MLflow's model-versions/delete and
 * registered-models/delete on a package-backed version). The database decides what goes: the files whose
 * rows belong to the deleted versions and the folders those versions own (`package_folder`, set by the
 * package registry alone), never a location derived from a `source` a client wrote. Every route writes the
 * same audit (`package_file_events`, `package.file_deleted` history events) in the transaction that removes
 * the rows, reserves the deleted bytes (`deleted_package_files`), and needs the same admin scope; only then
 * are the bytes removed, each under its path's upload lock, so a file a concurrent upload is writing or has
 * just committed is never touched.
 */
export interface DeleteServices {
  db: Db;
  store: ArtifactStore;
}

/** What a deletion audits: the version as its rows describe it. */
type AuditedVersion = Pick<
  PackageVersionRow,
  'name' | 'registered_model_id' | 'version' | 'semver' | 'major' | 'minor' | 'patch' | 'prerelease'
>;

export interface DeleteOptions {
  /** Token id of the caller, recorded in the audit. */
  actor?: string;
  /** False unless the caller may delete package files (admin scope, or AUTH=off). */
  mayDeletePackages: boolean;
}

function packagesNeedAdmin(name: string, version: { version: number; semver: string }): MlflowError {
  return new MlflowError(
    'PERMISSION_DENIED',
    `Version ${version.version} (${version.semver}) of '${name}' is a package version: deleting it deletes its published files, which needs an admin token (DELETE /api/packages/<model>/<semver>?all=true).`,
  );
}

async function auditDeletedFile(
  trx: Queryable,
  version: AuditedVersion,
  file: Pick<PackageFileRow, 'path' | 'sha256' | 'size'>,
  actor: string | undefined,
): Promise<void> {
  const now = Date.now();
  await trx('package_file_events').insert({
    action: 'deleted',
    model_name: version.name,
    version: version.version,
    semver: version.semver,
    path: file.path,
    sha256: file.sha256,
    size: file.size,
    token_id: actor ?? null,
    time: now,
  });
  await recordEvent(trx, {
    type: 'package.file_deleted',
    model: version.name,
    registeredModelId: version.registered_model_id,
    version: version.version,
    semver: version.semver,
    before: { path: file.path, size: file.size, sha256: file.sha256 },
    actor: actor ?? null,
  });
  await reserveDeletedFile(trx, version.name, version, file, now);
}

/** Audits every file of a package version and the version itself; call before its rows go. */
async function auditDeletedVersion(
  trx: Queryable,
  version: AuditedVersion & { id: number },
  actor: string | undefined,
): Promise<void> {
  for (const file of await listPackageFiles(trx, version.id))
    await auditDeletedFile(trx, version, file, actor);
  await trx('package_file_events').insert({
    action: 'version_deleted',
    model_name: version.name,
    version: version.version,
    semver: version.semver,
    token_id: actor ?? null,
    time: Date.now(),
  });
}

/** One file of a package version (admin route). */
export async function deletePackageFile(
  services: DeleteServices,
  version: PackageVersion,
  path: string,
  actor?: string,
): Promise<void> {
  const { db } = services;
  await db.transaction(async (trx) => {
    const file = await requirePackageFile(trx, version.id, path, `${version.name} ${version.semver}`);
    await trx('package_files').where({ id: file.id }).delete();
    await auditDeletedFile(trx, version, file, actor);
  });
  await removeUnreferencedFiles(
    services,
    version.package_folder,
    versionLockScope(version.name, version.semver),
    [path],
  );
}

/**
 * A model version with everything it owns. A package-backed one needs `mayDeletePackages`; the check runs
 * under the model's row lock, so it cannot go stale before the rows are gone.
 */
export async function deleteModelVersionWithFiles(
  services: DeleteServices,
  name: string,
  version: string | number,
  options: DeleteOptions,
): Promise<void> {
  const number = parseVersionNumber(version);
  validateModelName(name);
  const { db } = services;
  const deleted = await db.transaction(async (trx) => {
    await lockRegisteredModel(trx, name);
    const row = await findModelVersion(trx, name, number);
    if (row.package_folder !== null) {
      if (!options.mayDeletePackages) throw packagesNeedAdmin(name, row);
      await auditDeletedVersion(trx, row, options.actor);
    }
    await deleteModelVersion(trx as unknown as Db, name, number);
    return row;
  });
  if (deleted.package_folder !== null)
    await removeUnreferencedFiles(services, deleted.package_folder, versionLockScope(name, deleted.semver));
}

/**
 * A registered model with all its versions. Its package storage, `packages/<id>/`, goes whole: the id is
 * never handed out again, so once the row is gone nothing can be uploaded there any more.
 */
export async function deleteRegisteredModelWithFiles(
  services: DeleteServices,
  name: string,
  options: DeleteOptions,
): Promise<void> {
  validateModelName(name);
  const { db, store } = services;
  const modelId = await db.transaction(async (trx) => {
    const model = await lockRegisteredModel(trx, name);
    const packages = await trx('model_versions as mv')
      .join('registered_models as rm', 'rm.id', 'mv.registered_model_id')
      .where('mv.registered_model_id', model.id)
      .whereNotNull('mv.package_folder')
      .orderBy('mv.version')
      .select('mv.*', 'rm.name');
    if (packages.length > 0 && !options.mayDeletePackages) throw packagesNeedAdmin(name, packages[0]);
    for (const version of packages) await auditDeletedVersion(trx, version, options.actor);
    await deleteRegisteredModel(trx as unknown as Db, name);
    return model.id;
  });
  await deleteStoredTree({ db, storage: store }, `${PACKAGE_ROOT}/${modelId}`);
}
