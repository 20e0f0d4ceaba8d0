import { defineRoute, Route } from '../route';
import { getPolicies, putPolicy } from '../../lifecycle/stage-policy';

/** Stage policy as data (semreg-api.md "Stage policy"). */
export const policyRoutes: Route[] = [
  defineRoute('GET', '/policies', 'getStagePolicies', async ({ app }) => getPolicies(app.db)),
  defineRoute('PUT', '/policies', 'putStagePolicy', async ({ input, app }) => putPolicy(app.db, input)),
];
