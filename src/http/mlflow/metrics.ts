import { tracking } from '../access';
import { defineRoute, Route } from '../route';
import { getMetricHistory, getMetricHistoryBulk, getMetricHistoryBulkInterval } from '../../tracking/metrics';
import { requireRunId } from '../../tracking/validation';

/** Metric history endpoints (mlflow-compat.md §3.4). */
export const metricRoutes: Route[] = [
  defineRoute('GET', '/metrics/get-history', 'getMetricHistory', tracking, async ({ input, app }) => {
    return getMetricHistory(app.db, requireRunId(input), input);
  }),
  defineRoute('GET', '/metrics/get-history-bulk', 'getMetricHistoryBulk', tracking, async ({ input, app }) =>
    getMetricHistoryBulk(app.db, input),
  ),
  defineRoute(
    'GET',
    '/metrics/get-history-bulk-interval',
    'getMetricHistoryBulkInterval',
    tracking,
    async ({ input, app }) => getMetricHistoryBulkInterval(app.db, input),
  ),
];
