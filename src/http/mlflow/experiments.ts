import { searchDatasets } from '../../tracking/dataset-summaries';
import { readOnly, tracking } from '../access';
import { defineRoute, Route } from '../route';
import {
  createExperiment,
  deleteExperiment,
  deleteExperimentTag,
  getExperiment,
  getExperimentByName,
  renameExperiment,
  restoreExperiment,
  searchExperiments,
  setExperimentTag,
} from '../../tracking/experiments';

/** MLflow experiments endpoints (mlflow-compat.md §3.1). */
export const experimentRoutes: Route[] = [
  defineRoute('POST', '/experiments/create', 'createExperiment', tracking, async ({ input, app }) => ({
    experiment_id: await createExperiment(app.db, input),
  })),
  defineRoute('GET', '/experiments/get', 'getExperiment', tracking, async ({ input, app }) => ({
    experiment: await getExperiment(app.db, input.experiment_id),
  })),
  defineRoute('GET', '/experiments/get-by-name', 'getExperimentByName', tracking, async ({ input, app }) => ({
    experiment: await getExperimentByName(app.db, input.experiment_name),
  })),
  defineRoute(
    'POST',
    '/experiments/search',
    'searchExperiments',
    readOnly(tracking),
    async ({ input, app }) => searchExperiments(app.db, input),
  ),
  defineRoute(
    'POST',
    '/experiments/search-datasets',
    'searchDatasets',
    readOnly(tracking),
    async ({ input, app }) => searchDatasets(app.db, input),
  ),
  defineRoute('GET', '/experiments/search', 'searchExperimentsByGet', tracking, async ({ input, app }) =>
    searchExperiments(app.db, input),
  ),
  defineRoute('POST', '/experiments/update', 'updateExperiment', tracking, async ({ input, app }) => {
    await renameExperiment(app.db, input.experiment_id, input.new_name);
    return {};
  }),
  defineRoute('POST', '/experiments/delete', 'deleteExperiment', tracking, async ({ input, app }) => {
    await deleteExperiment(app.db, input.experiment_id);
    return {};
  }),
  defineRoute('POST', '/experiments/restore', 'restoreExperiment', tracking, async ({ input, app }) => {
    await restoreExperiment(app.db, input.experiment_id);
    return {};
  }),
  defineRoute(
    'POST',
    '/experiments/set-experiment-tag',
    'setExperimentTag',
    tracking,
    async ({ input, app }) => {
      await setExperimentTag(app.db, input.experiment_id, { key: input.key, value: input.value });
      return {};
    },
  ),
  defineRoute(
    'POST',
    '/experiments/delete-experiment-tag',
    'deleteExperimentTag',
    tracking,
    async ({ input, app }) => {
      await deleteExperimentTag(app.db, input.experiment_id, input.key);
      return {};
    },
  ),
];
