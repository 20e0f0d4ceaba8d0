import { tracking } from '../access';
import { artifactUriToKey, keyUnder } from '../../artifacts/artifact-uri';
import { listFileInfos, listRunArtifacts } from '../../artifacts/listing';
import { notFound } from '../../errors';
import { normaliseRelativePath } from '../../storage/safe-path';
import { findLoggedModelArtifactUri } from '../../tracking/logged-models';
import { defineRoute, Route } from '../route';
import type { AppContext } from '../../app-context';

/**
 * The web UI's artifact listings (mlflow-compat.md §3.4, §3.5). Unlike the mlflow-artifacts listing, `path`
 * is relative to the run's (or logged model's) artifact root and so are the returned paths. Everything is
 * listed in one page, so no `next_page_token` is ever sent.
 */
async function listUnder(app: AppContext, rootUri: string, rel: string) {
  const files = await listFileInfos(app.storage, keyUnder(await artifactUriToKey(app.db, rootUri), rel), rel);
  // Like MLflow's proto JSON, an empty repeated field is left out.
  return files.length > 0 ? { root_uri: rootUri, files } : { root_uri: rootUri };
}

export const artifactListingRoutes: Route[] = [
  defineRoute('GET', '/artifacts/list', 'listRunArtifacts', tracking, async ({ input, app }) => {
    const listing = await listRunArtifacts(app, input.run_id || input.run_uuid, input.path);
    // Like MLflow's proto JSON, an empty repeated field is left out.
    return listing.files.length > 0 ? listing : { root_uri: listing.root_uri };
  }),
  defineRoute(
    'GET',
    '/logged-models/:model_id/artifacts/directories',
    'listLoggedModelArtifacts',
    tracking,
    async ({ input, app }) => {
      const rel = normaliseRelativePath(input.artifact_directory_path ?? '');
      const found = await findLoggedModelArtifactUri(app.db, input.model_id);
      if (!found) throw notFound(`Logged model with id=${input.model_id} not found`);
      return listUnder(app, found.artifactUri, rel);
    },
  ),
];
