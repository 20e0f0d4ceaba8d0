import { readOnly, tracking } from '../access';
import { defineRoute, Route } from '../route';
import {
  createLoggedModel,
  deleteLoggedModel,
  deleteLoggedModelTag,
  finalizeLoggedModel,
  getLoggedModel,
  logLoggedModelParams,
  searchLoggedModels,
  setLoggedModelTags,
} from '../../tracking/logged-models';

/**
 * MLflow 3 logged models (mlflow-compat.md §3.5). `search` is declared before `/:model_id` routes; it is a
 * POST, which no `/:model_id` route answers, so the order is for readers only. The id in the path wins over
 * a `model_id` in the body.
 */
export const loggedModelRoutes: Route[] = [
  defineRoute(
    'POST',
    '/logged-models/search',
    'searchLoggedModels',
    readOnly(tracking),
    async ({ input, app }) => searchLoggedModels(app.db, input),
  ),
  defineRoute('POST', '/logged-models', 'createLoggedModel', tracking, async ({ input, app }) => ({
    model: await createLoggedModel(app.db, input),
  })),
  defineRoute('GET', '/logged-models/:model_id', 'getLoggedModel', tracking, async ({ input, app }) => ({
    model: await getLoggedModel(app.db, input.model_id, { allowDeleted: input.allow_deleted === true }),
  })),
  defineRoute(
    'PATCH',
    '/logged-models/:model_id',
    'finalizeLoggedModel',
    tracking,
    async ({ input, app }) => ({
      model: await finalizeLoggedModel(app.db, input.model_id, input.status),
    }),
  ),
  defineRoute('DELETE', '/logged-models/:model_id', 'deleteLoggedModel', tracking, async ({ input, app }) => {
    await deleteLoggedModel(app.db, input.model_id);
    return {};
  }),
  defineRoute(
    'PATCH',
    '/logged-models/:model_id/tags',
    'setLoggedModelTags',
    tracking,
    async ({ input, app }) => {
      await setLoggedModelTags(app.db, input.model_id, input.tags);
      return {};
    },
  ),
  defineRoute(
    'DELETE',
    '/logged-models/:model_id/tags/:tag_key',
    'deleteLoggedModelTag',
    tracking,
    async ({ input, app }) => {
      await deleteLoggedModelTag(app.db, input.model_id, input.tag_key);
      return {};
    },
  ),
  defineRoute(
    'POST',
    '/logged-models/:model_id/params',
    'logLoggedModelParams',
    tracking,
    async ({ input, app }) => {
      await logLoggedModelParams(app.db, input.model_id, input.params);
      return {};
    },
  ),
];
