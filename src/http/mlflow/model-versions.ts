import { extractCiJob } from '../../ci/ci-job';
import {
  createModelVersion,
  deleteModelVersion,
  deleteModelVersionTag,
  getModelVersion,
  getModelVersionDownloadUri,
  setModelVersionTag,
  transitionModelVersionStage,
  updateModelVersion,
} from '../../registry/model-versions';
import { packageFoldersOf, removePackageFolders } from '../../packages/cleanup';
import { searchModelVersions } from '../../registry/search';
import { parseVersionNumber } from '../../registry/validation';
import { defineRoute, Route } from '../route';

/** model-versions/*: MLflow's model version RPCs. */
export const modelVersionRoutes: Route[] = [
  defineRoute('POST', '/model-versions/create', 'createModelVersion', async ({ input, app, req }) => ({
    model_version: await createModelVersion(app.db, {
      ...input,
      ciJob: extractCiJob(req.headers, input.tags ?? []),
    }),
  })),
  defineRoute('GET', '/model-versions/get', 'getModelVersion', async ({ input, app }) => ({
    model_version: await getModelVersion(app.db, input.name, input.version),
  })),
  defineRoute('PATCH', '/model-versions/update', 'updateModelVersion', async ({ input, app }) => ({
    model_version: await updateModelVersion(app.db, input.name, input.version, input.description),
  })),
  defineRoute('DELETE', '/model-versions/delete', 'deleteModelVersion', async ({ input, app }) => {
    const folders = await packageFoldersOf(app.db, input.name, parseVersionNumber(input.version));
    await deleteModelVersion(app.db, input.name, input.version);
    await removePackageFolders(app, folders);
    return {};
  }),
  defineRoute('GET', '/model-versions/search', 'searchModelVersions', async ({ input, app, req }) =>
    searchModelVersions(app.db, input, req.principal?.models ?? []),
  ),
  defineRoute('POST', '/model-versions/set-tag', 'setModelVersionTag', async ({ input, app }) => {
    await setModelVersionTag(app.db, input.name, input.version, input.key, input.value);
    return {};
  }),
  defineRoute('DELETE', '/model-versions/delete-tag', 'deleteModelVersionTag', async ({ input, app }) => {
    await deleteModelVersionTag(app.db, input.name, input.version, input.key);
    return {};
  }),
  defineRoute(
    'POST',
    '/model-versions/transition-stage',
    'transitionModelVersionStage',
    async ({ input, app }) => ({
      model_version: await transitionModelVersionStage(app.db, input),
    }),
  ),
  defineRoute(
    'GET',
    '/model-versions/get-download-uri',
    'getModelVersionDownloadUri',
    async ({ input, app }) => ({
      artifact_uri: await getModelVersionDownloadUri(app.db, input.name, input.version),
    }),
  ),
];
