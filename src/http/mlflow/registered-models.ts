import {
  deleteRegisteredModelAlias,
  getModelVersionByAlias,
  setRegisteredModelAlias,
} from '../../registry/aliases';
import {
  createRegisteredModel,
  deleteRegisteredModel,
  deleteRegisteredModelTag,
  getRegisteredModel,
  renameRegisteredModel,
  setRegisteredModelTag,
  updateRegisteredModel,
} from '../../registry/registered-models';
import { packageFoldersOf, removePackageFolders } from '../../packages/cleanup';
import { searchRegisteredModels } from '../../registry/search';
import { getLatestVersions } from '../../registry/selectors';
import { defineRoute, Route } from '../route';
import { readOnly } from '../middleware/auth';

/** registered-models/*: MLflow's registered model, tag and alias RPCs. */
export const registeredModelRoutes: Route[] = [
  defineRoute('POST', '/registered-models/create', 'createRegisteredModel', async ({ input, app }) => ({
    registered_model: await createRegisteredModel(app.db, input),
  })),
  defineRoute('GET', '/registered-models/get', 'getRegisteredModel', async ({ input, app }) => ({
    registered_model: await getRegisteredModel(app.db, input.name),
  })),
  defineRoute('POST', '/registered-models/rename', 'renameRegisteredModel', async ({ input, app }) => ({
    registered_model: await renameRegisteredModel(app.db, input.name, input.new_name),
  })),
  defineRoute('PATCH', '/registered-models/update', 'updateRegisteredModel', async ({ input, app }) => ({
    registered_model: await updateRegisteredModel(app.db, input),
  })),
  defineRoute('DELETE', '/registered-models/delete', 'deleteRegisteredModel', async ({ input, app }) => {
    const folders = await packageFoldersOf(app.db, input.name);
    await deleteRegisteredModel(app.db, input.name);
    await removePackageFolders(app, folders);
    return {};
  }),
  defineRoute('GET', '/registered-models/search', 'searchRegisteredModels', async ({ input, app, req }) =>
    searchRegisteredModels(app.db, input, req.principal?.models ?? []),
  ),
  readOnly(
    defineRoute(
      'POST',
      '/registered-models/get-latest-versions',
      'getLatestVersions',
      async ({ input, app }) => ({
        model_versions: await getLatestVersions(app.db, input.name, input.stages),
      }),
    ),
  ),
  defineRoute(
    'GET',
    '/registered-models/get-latest-versions',
    'getLatestVersionsByGet',
    async ({ input, app }) => ({
      model_versions: await getLatestVersions(app.db, input.name, input.stages),
    }),
  ),
  defineRoute('POST', '/registered-models/set-tag', 'setRegisteredModelTag', async ({ input, app }) => {
    await setRegisteredModelTag(app.db, input.name, input.key, input.value);
    return {};
  }),
  defineRoute(
    'DELETE',
    '/registered-models/delete-tag',
    'deleteRegisteredModelTag',
    async ({ input, app }) => {
      await deleteRegisteredModelTag(app.db, input.name, input.key);
      return {};
    },
  ),
  defineRoute('POST', '/registered-models/alias', 'setRegisteredModelAlias', async ({ input, app }) => {
    await setRegisteredModelAlias(app.db, input.name, input.alias, input.version);
    return {};
  }),
  defineRoute('DELETE', '/registered-models/alias', 'deleteRegisteredModelAlias', async ({ input, app }) => {
    await deleteRegisteredModelAlias(app.db, input.name, input.alias);
    return {};
  }),
  defineRoute('GET', '/registered-models/alias', 'getModelVersionByAlias', async ({ input, app }) => ({
    model_version: await getModelVersionByAlias(app.db, input.name, input.alias),
  })),
];
