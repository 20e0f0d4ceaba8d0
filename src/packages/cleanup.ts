import type { AppContext } from '../app-context';
import type { Queryable } from '../db/knex';
import { deleteStoredTree } from '../storage/stored-files';

/**
 * Package files are their model version's artifacts. When MLflow's own delete RPCs remove a package
 * version (model-versions/delete) or a whole model (registered-models/delete), its folder goes too, instead
 * of lingering on disk with no row pointing at it.
 */
const ARTIFACTS_SCHEME = 'mlflow-artifacts:/';
const PACKAGE_SOURCE_PREFIX = `${ARTIFACTS_SCHEME}packages/`;

/** The package folders of a model's versions (or of one version); read them before the rows go. */
export async function packageFoldersOf(db: Queryable, name: string, version?: number): Promise<string[]> {
  const query = db('model_versions as mv')
    .join('registered_models as rm', 'rm.id', 'mv.registered_model_id')
    .where('rm.name', name)
    .where('mv.source', 'like', `${PACKAGE_SOURCE_PREFIX}%`);
  if (version !== undefined) query.where('mv.version', version);
  const sources: string[] = await query.pluck('mv.source');
  return sources.map((source) => source.slice(ARTIFACTS_SCHEME.length));
}

export async function removePackageFolders(
  ctx: Pick<AppContext, 'db' | 'storage'>,
  folders: string[],
): Promise<void> {
  for (const folder of folders) await deleteStoredTree(ctx, folder);
}
