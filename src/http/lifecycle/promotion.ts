import { byModel } from '../access';
import { defineRoute, Route } from '../route';
import { promote, rollback } from '../../lifecycle/promotion';

/** Compare-and-set promotion and rollback (semreg-api.md "Promotion"). */
export const promotionRoutes: Route[] = [
  defineRoute(
    'POST',
    '/models/:name/promote',
    'promoteModelVersion',
    byModel('name'),
    async ({ input, app }) => promote(app.db, input.name, input),
  ),
  defineRoute(
    'POST',
    '/models/:name/rollback',
    'rollbackModelVersion',
    byModel('name'),
    async ({ input, app }) => rollback(app.db, input.name, input),
  ),
];
