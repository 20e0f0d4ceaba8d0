import { filtered } from './access';
import { getCiJobReport } from '../ci/ci-jobs';
import { defineRoute, Route } from './route';

/** `GET /api/ci/jobs/<job_id>`: what a CI job produced (semreg-api.md "CI jobs"). */
export const ciRoutes: Route[] = [
  defineRoute('GET', '/ci/jobs/:job_id', 'getCiJob', filtered, async ({ input, app, req }) =>
    getCiJobReport(app.db, input.job_id, req.principal?.models ?? []),
  ),
];
