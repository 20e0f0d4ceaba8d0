import type { Db } from '../db/knex';
import { recordEvent } from '../lifecycle/events';
import { deleteModelVersion } from '../registry/model-versions';
import type { ArtifactStore } from '../storage/artifact-store';
import { deleteStoredTree } from '../storage/stored-files';
import { listPackageFiles, requirePackageFile } from './package-files';
import { notAPackage, PackageVersionRow } from './package-versions';
import { packageDir } from './target';

/**
 * Deleting package files (admin scope): the row goes and an audit row is written in one transaction, then
 * the bytes are removed. The other order could leave a row whose file is gone.
 */
function historyEvent(
  version: PackageVersionRow,
  tokenId: string | undefined,
  file: { path: string; sha256: string; size: number },
) {
  return {
    type: 'package.file_deleted' as const,
    model: version.name,
    registeredModelId: version.registered_model_id,
    version: version.version,
    semver: version.semver,
    before: { path: file.path, size: file.size, sha256: file.sha256 },
    actor: tokenId ?? null,
  };
}

function auditRow(
  version: PackageVersionRow,
  action: string,
  tokenId: string | undefined,
  file?: { path: string; sha256: string; size: number },
) {
  return {
    action,
    model_name: version.name,
    version: version.version,
    semver: version.semver,
    path: file?.path ?? null,
    sha256: file?.sha256 ?? null,
    size: file?.size ?? null,
    token_id: tokenId ?? null,
    time: Date.now(),
  };
}

export async function deletePackageFile(
  db: Db,
  store: ArtifactStore,
  version: PackageVersionRow,
  path: string,
  tokenId?: string,
): Promise<void> {
  const key = await db.transaction(async (trx) => {
    const file = await requirePackageFile(trx, version.id, path, `${version.name} ${version.semver}`);
    await trx('package_files').where({ id: file.id }).delete();
    await trx('package_file_events').insert(auditRow(version, 'deleted', tokenId, file));
    await recordEvent(trx, historyEvent(version, tokenId, file));
    return file.storage_key;
  });
  await deleteStoredTree({ db, storage: store }, key);
}

/** `?all=true`: every file, then the model version itself (through the registry, so its rules and events apply). */
export async function deletePackageVersion(
  db: Db,
  store: ArtifactStore,
  version: PackageVersionRow,
  tokenId?: string,
): Promise<void> {
  if (version.source !== `mlflow-artifacts:/${packageDir(version.registered_model_id, version.semver)}`)
    throw notAPackage(version);
  await db.transaction(async (trx) => {
    const files = await listPackageFiles(trx, version.id);
    if (files.length > 0)
      await trx('package_file_events').insert(
        files.map((file) => auditRow(version, 'deleted', tokenId, file)),
      );
    for (const file of files) await recordEvent(trx, historyEvent(version, tokenId, file));
    await trx('package_file_events').insert(auditRow(version, 'version_deleted', tokenId));
    await deleteModelVersion(trx as unknown as Db, version.name, version.version);
  });
  await deleteStoredTree({ db, storage: store }, packageDir(version.registered_model_id, version.semver));
}
