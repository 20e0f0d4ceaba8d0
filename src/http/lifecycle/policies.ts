import { adminOnly } from '../access';
import { defineRoute, Route } from '../route';
import { getPolicies, putPolicy } from '../../lifecycle/stage-policy';

/** Stage policy as data (semreg-api.md "Stage policy"). */
export const policyRoutes: Route[] = [
  defineRoute('GET', '/policies', 'getStagePolicies', adminOnly, async ({ app }) => getPolicies(app.db)),
  defineRoute('PUT', '/policies', 'putStagePolicy', adminOnly, async ({ input, app }) =>
    putPolicy(app.db, input),
  ),
];
