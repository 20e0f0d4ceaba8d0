import { defineRoute, Route } from '../route';
import { listEvents } from '../../lifecycle/events';
import { modelStateAt } from '../../lifecycle/history';
import { parseInstant } from '../../lifecycle/time';

/** The lifecycle history (semreg-api.md "History"). */
export const eventRoutes: Route[] = [
  defineRoute('GET', '/events', 'listEvents', async ({ input, app }) => listEvents(app.db, input)),
  defineRoute('GET', '/models/:name/at', 'getModelStateAt', async ({ input, app }) =>
    modelStateAt(app.db, input.name, parseInstant(input.time, 'time')),
  ),
];
