import { byModel, filtered } from '../access';
import { defineRoute, Route } from '../route';
import { listEvents } from '../../lifecycle/events';
import { modelStateAt } from '../../lifecycle/history';
import { parseInstant } from '../../lifecycle/time';

/** The lifecycle history (semreg-api.md "History"). */
export const eventRoutes: Route[] = [
  defineRoute('GET', '/events', 'listEvents', filtered, async ({ input, app, req }) =>
    listEvents(app.db, input, req.principal?.models ?? []),
  ),
  defineRoute('GET', '/models/:name/at', 'getModelStateAt', byModel('name'), async ({ input, app }) =>
    modelStateAt(app.db, input.name, parseInstant(input.time, 'time')),
  ),
];
