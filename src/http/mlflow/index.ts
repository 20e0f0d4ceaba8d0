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
export const mlflowRoutes: readonly Route[] = [
  ...registeredModelRoutes,
  ...modelVersionRoutes,
  ...experimentRoutes,
  ...runRoutes,
  ...metricRoutes,
  ...loggedModelRoutes,
  ...artifactListingRoutes,
  ...webhookRoutes,
];
