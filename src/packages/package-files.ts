import type { Queryable } from '../db/knex';
import { notFound } from '../errors';

/** package_files rows and their JSON shape (semreg-api.md "Packages"). */
export interface PackageFileRow {
  id: number;
  model_version_id: number;
  path: string;
  storage_key: string;
  size: number;
  sha256: string;
  content_type: string | null;
  ci_job_id: string | null;
  created_at: number;
}

export interface PackageFileJson {
  path: string;
  size: number;
  sha256: string;
  created_at: number;
  ci_job_id?: string;
}

export function fileJson(row: PackageFileRow): PackageFileJson {
  return {
    path: row.path,
    size: row.size,
    sha256: row.sha256,
    created_at: row.created_at,
    ...(row.ci_job_id !== null && { ci_job_id: row.ci_job_id }),
  };
}

export async function findPackageFile(
  db: Queryable,
  modelVersionId: number,
  path: string,
): Promise<PackageFileRow | undefined> {
  return db('package_files').where({ model_version_id: modelVersionId, path }).first();
}

export async function requirePackageFile(
  db: Queryable,
  modelVersionId: number,
  path: string,
  where: string,
): Promise<PackageFileRow> {
  const row = await findPackageFile(db, modelVersionId, path);
  if (!row) throw notFound(`No file '${path}' in ${where}.`);
  return row;
}

export async function listPackageFiles(db: Queryable, modelVersionId: number): Promise<PackageFileRow[]> {
  return db('package_files').where({ model_version_id: modelVersionId }).orderBy('path');
}
