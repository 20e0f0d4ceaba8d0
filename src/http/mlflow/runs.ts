import { readOnly, tracking } from '../access';
import { ciHeaderTags } from '../../ci/ci-job';
import { defineRoute, Route } from '../route';
import {
  createRun,
  deleteRun,
  deleteRunTag,
  getRun,
  restoreRun,
  setRunTag,
  updateRun,
} from '../../tracking/runs';
import { logInputs, logModel, logOutputs } from '../../tracking/run-inputs-outputs';
import { logBatch, logMetric, logParam } from '../../tracking/run-logging';
import { searchRuns } from '../../tracking/run-search';
import { requireRunId } from '../../tracking/validation';

/** MLflow runs endpoints (mlflow-compat.md §3.2-3.3). Run RPCs read `run_id`, falling back to `run_uuid`. */
export const runRoutes: Route[] = [
  // X-CI-* headers name the CI job; they become ci.* tags, which the runs table mirrors in columns (migration 005).
  defineRoute('POST', '/runs/create', 'createRun', tracking, async ({ input, app, req }) => ({
    run: await createRun(app.db, { ...input, tags: [...(input.tags ?? []), ...ciHeaderTags(req.headers)] }),
  })),
  defineRoute('GET', '/runs/get', 'getRun', tracking, async ({ input, app }) => ({
    run: await getRun(app.db, requireRunId(input)),
  })),
  defineRoute('POST', '/runs/update', 'updateRun', tracking, async ({ input, app }) => ({
    run_info: await updateRun(app.db, requireRunId(input), input),
  })),
  defineRoute('POST', '/runs/delete', 'deleteRun', tracking, async ({ input, app }) => {
    await deleteRun(app.db, requireRunId(input));
    return {};
  }),
  defineRoute('POST', '/runs/restore', 'restoreRun', tracking, async ({ input, app }) => {
    await restoreRun(app.db, requireRunId(input));
    return {};
  }),
  defineRoute('POST', '/runs/search', 'searchRuns', readOnly(tracking), async ({ input, app }) =>
    searchRuns(app.db, input),
  ),
  defineRoute('POST', '/runs/set-tag', 'setRunTag', tracking, async ({ input, app }) => {
    await setRunTag(app.db, requireRunId(input), input);
    return {};
  }),
  defineRoute('POST', '/runs/delete-tag', 'deleteRunTag', tracking, async ({ input, app }) => {
    await deleteRunTag(app.db, requireRunId(input), input.key);
    return {};
  }),
  defineRoute('POST', '/runs/log-metric', 'logMetric', tracking, async ({ input, app }) => {
    await logMetric(app.db, requireRunId(input), input);
    return {};
  }),
  defineRoute('POST', '/runs/log-parameter', 'logParameter', tracking, async ({ input, app }) => {
    await logParam(app.db, requireRunId(input), input);
    return {};
  }),
  defineRoute('POST', '/runs/log-batch', 'logBatch', tracking, async ({ input, app, req }) => {
    // MLflow measures the raw request; without a Content-Length (chunked) the parsed body's size stands in.
    const declared = Number(req.headers['content-length']);
    const size = Number.isFinite(declared) && declared > 0 ? declared : JSON.stringify(req.body ?? {}).length;
    await logBatch(app.db, requireRunId(input), input, size);
    return {};
  }),
  defineRoute('POST', '/runs/log-inputs', 'logInputs', tracking, async ({ input, app }) => {
    await logInputs(app.db, requireRunId(input), input);
    return {};
  }),
  defineRoute('POST', '/runs/outputs', 'logOutputs', tracking, async ({ input, app }) => {
    await logOutputs(app.db, requireRunId(input), input.models);
    return {};
  }),
  defineRoute('POST', '/runs/log-model', 'logModel', tracking, async ({ input, app }) => {
    await logModel(app.db, requireRunId(input), input.model_json);
    return {};
  }),
];
