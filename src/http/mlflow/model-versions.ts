import { extractCiJob } from '../../ci/ci-job';
import {
  createModelVersion,
  deleteModelVersionTag,
  getModelVersion,
  getModelVersionDownloadUri,
  setModelVersionTag,
  transitionModelVersionStage,
  updateModelVersion,
} from '../../registry/model-versions';
import { deleteModelVersionWithFiles } from '../../packages/delete';
import { searchModelVersions } from '../../registry/search';
import { modelsNamedBySource } from '../../registry/source';
import { byModel, deletionBy, filtered } from '../access';
import { requireAccess } from '../middleware/auth';
import { defineRoute, Route } from '../route';

/** model-versions/*: MLflow's model version RPCs. */
export const modelVersionRoutes: Route[] = [
  defineRoute(
    'POST',
    '/model-versions/create',
    'createModelVersion',
    byModel('name'),
    async ({ input, app, req }) => {
      // A version that reads another model's files (models:/<other>/<n>) needs read access to that model too.
      requireAccess(req, app, { scope: 'read', models: modelsNamedBySource(input.source) });
      return {
        model_version: await createModelVersion(app.db, {
          ...input,
          ciJob: extractCiJob(req.headers, input.tags ?? []),
          store: app.config.artifactsDestination,
        }),
      };
    },
  ),
  defineRoute('GET', '/model-versions/get', 'getModelVersion', byModel('name'), async ({ input, app }) => ({
    model_version: await getModelVersion(app.db, input.name, input.version),
  })),
  defineRoute(
    'PATCH',
    '/model-versions/update',
    'updateModelVersion',
    byModel('name'),
    async ({ input, app }) => ({
      model_version: await updateModelVersion(app.db, input.name, input.version, input.description),
    }),
  ),
  defineRoute(
    'DELETE',
    '/model-versions/delete',
    'deleteModelVersion',
    byModel('name'),
    async ({ input, app, req }) => {
      await deleteModelVersionWithFiles(
        { db: app.db, store: app.storage },
        input.name,
        input.version,
        deletionBy(req, app, input.name),
      );
      return {};
    },
  ),
  defineRoute('GET', '/model-versions/search', 'searchModelVersions', filtered, async ({ input, app, req }) =>
    searchModelVersions(app.db, input, req.principal?.models ?? []),
  ),
  defineRoute(
    'POST',
    '/model-versions/set-tag',
    'setModelVersionTag',
    byModel('name'),
    async ({ input, app }) => {
      await setModelVersionTag(app.db, input.name, input.version, input.key, input.value);
      return {};
    },
  ),
  defineRoute(
    'DELETE',
    '/model-versions/delete-tag',
    'deleteModelVersionTag',
    byModel('name'),
    async ({ input, app }) => {
      await deleteModelVersionTag(app.db, input.name, input.version, input.key);
      return {};
    },
  ),
  defineRoute(
    'POST',
    '/model-versions/transition-stage',
    'transitionModelVersionStage',
    byModel('name'),
    async ({ input, app }) => ({
      model_version: await transitionModelVersionStage(app.db, input),
    }),
  ),
  defineRoute(
    'GET',
    '/model-versions/get-download-uri',
    'getModelVersionDownloadUri',
    byModel('name'),
    async ({ input, app }) => ({
      artifact_uri: await getModelVersionDownloadUri(app.db, input.name, input.version),
    }),
  ),
];
