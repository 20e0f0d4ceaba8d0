import type { Route } from '../route';
import { downloadRoutes } from './downloads';
import { eventRoutes } from './events';
import { policyRoutes } from './policies';
import { promotionRoutes } from './promotion';
import { webhookDeliveryRoutes } from './webhook-deliveries';

/**
 * semreg's own lifecycle endpoints, mounted under `/api` (semreg-api.md). Each route declares what it
 * touches: promotion, the state at an instant and download links name their model in the path; history is
 * filtered to the token's models; policies and webhook deliveries change registry-wide behaviour or reveal
 * receivers' answers, so they need an admin token.
 */
export const lifecycleRoutes: readonly Route[] = [
  ...eventRoutes,
  ...promotionRoutes,
  ...downloadRoutes,
  ...policyRoutes,
  ...webhookDeliveryRoutes,
];
