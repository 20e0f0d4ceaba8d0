import {
  deleteRegisteredModelAlias,
  getModelVersionByAlias,
  setRegisteredModelAlias,
} from '../../registry/aliases';
import {
  createRegisteredModel,
  deleteRegisteredModelTag,
  getRegisteredModel,
  renameRegisteredModel,
  setRegisteredModelTag,
  updateRegisteredModel,
} from '../../registry/registered-models';
import { deleteRegisteredModelWithFiles } from '../../packages/delete';
import { searchRegisteredModels } from '../../registry/search';
import { getLatestVersions } from '../../registry/selectors';
import { defineRoute, Route } from '../route';
import { byModel, deletionBy, filtered, readOnly } from '../access';

/** registered-models/*: MLflow's registered model, tag and alias RPCs. */
export const registeredModelRoutes: Route[] = [
  defineRoute(
    'POST',
    '/registered-models/create',
    'createRegisteredModel',
    byModel('name'),
    async ({ input, app }) => ({
      registered_model: await createRegisteredModel(app.db, input),
    }),
  ),
  defineRoute(
    'GET',
    '/registered-models/get',
    'getRegisteredModel',
    byModel('name'),
    async ({ input, app }) => ({
      registered_model: await getRegisteredModel(app.db, input.name),
    }),
  ),
  defineRoute(
    'POST',
    '/registered-models/rename',
    'renameRegisteredModel',
    byModel('name', 'new_name'),
    async ({ input, app }) => ({
      registered_model: await renameRegisteredModel(app.db, input.name, input.new_name),
    }),
  ),
  defineRoute(
    'PATCH',
    '/registered-models/update',
    'updateRegisteredModel',
    byModel('name'),
    async ({ input, app }) => ({
      registered_model: await updateRegisteredModel(app.db, input),
    }),
  ),
  defineRoute(
    'DELETE',
    '/registered-models/delete',
    'deleteRegisteredModel',
    byModel('name'),
    async ({ input, app, req }) => {
      await deleteRegisteredModelWithFiles(
        { db: app.db, store: app.storage },
        input.name,
        deletionBy(req, app, input.name),
      );
      return {};
    },
  ),
  defineRoute(
    'GET',
    '/registered-models/search',
    'searchRegisteredModels',
    filtered,
    async ({ input, app, req }) => searchRegisteredModels(app.db, input, req.principal?.models ?? []),
  ),
  defineRoute(
    'POST',
    '/registered-models/get-latest-versions',
    'getLatestVersions',
    readOnly(byModel('name')),
    async ({ input, app }) => ({
      model_versions: await getLatestVersions(app.db, input.name, input.stages),
    }),
  ),
  defineRoute(
    'GET',
    '/registered-models/get-latest-versions',
    'getLatestVersionsByGet',
    byModel('name'),
    async ({ input, app }) => ({
      model_versions: await getLatestVersions(app.db, input.name, input.stages),
    }),
  ),
  defineRoute(
    'POST',
    '/registered-models/set-tag',
    'setRegisteredModelTag',
    byModel('name'),
    async ({ input, app }) => {
      await setRegisteredModelTag(app.db, input.name, input.key, input.value);
      return {};
    },
  ),
  defineRoute(
    'DELETE',
    '/registered-models/delete-tag',
    'deleteRegisteredModelTag',
    byModel('name'),
    async ({ input, app }) => {
      await deleteRegisteredModelTag(app.db, input.name, input.key);
      return {};
    },
  ),
  defineRoute(
    'POST',
    '/registered-models/alias',
    'setRegisteredModelAlias',
    byModel('name'),
    async ({ input, app }) => {
      await setRegisteredModelAlias(app.db, input.name, input.alias, input.version);
      return {};
    },
  ),
  defineRoute(
    'DELETE',
    '/registered-models/alias',
    'deleteRegisteredModelAlias',
    byModel('name'),
    async ({ input, app }) => {
      await deleteRegisteredModelAlias(app.db, input.name, input.alias);
      return {};
    },
  ),
  defineRoute(
    'GET',
    '/registered-models/alias',
    'getModelVersionByAlias',
    byModel('name'),
    async ({ input, app }) => ({
      model_version: await getModelVersionByAlias(app.db, input.name, input.alias),
    }),
  ),
];
