import { namingModelIn } from '../middleware/auth';
import type { Route } from '../route';
import { registeredModelRoutes } from './registered-models';
import { modelVersionRoutes } from './model-versions';
import { experimentRoutes } from './experiments';
import { runRoutes } from './runs';
import { metricRoutes } from './metrics';
import { loggedModelRoutes } from './logged-models';
import { artifactListingRoutes } from './artifact-listings';
import { webhookRoutes } from './webhooks';

/**
 * Every MLflow REST route semreg serves, mounted under both `/api/2.0/mlflow` and `/ajax-api/2.0/mlflow`
 * (the web UI's mirror runs the same validation and authorization). Diff it against MLflow's own table.
 */
// Registry RPCs name their model in `name` (and `new_name` for a rename): tokens restricted to model patterns
// are checked against them; routes without a declared model are refused for restricted writes.
const namingModel = namingModelIn('name', 'new_name');

export const mlflowRoutes: readonly Route[] = [
  ...registeredModelRoutes.map(namingModel),
  ...modelVersionRoutes.map(namingModel),
  ...experimentRoutes,
  ...runRoutes,
  ...metricRoutes,
  ...loggedModelRoutes,
  ...artifactListingRoutes,
  // Webhooks make the server send requests and hold signing secrets: admin tokens only.
  ...webhookRoutes.map((route) => ({ ...route, access: { ...route.access, scope: 'admin' as const } })),
];
