import { namingModelIn } from '../middleware/auth';
import type { Route } from '../route';
import { downloadRoutes } from './downloads';
import { eventRoutes } from './events';
import { policyRoutes } from './policies';
import { promotionRoutes } from './promotion';
import { webhookDeliveryRoutes } from './webhook-deliveries';

const admin = (route: Route): Route => ({ ...route, access: { ...route.access, scope: 'admin' } });

/**
 * semreg's own lifecycle endpoints, mounted under `/api` (semreg-api.md). Promotion names its model in the
 * path (`name`), so model-restricted tokens are checked against it; policies and webhook deliveries change
 * registry-wide behaviour or reveal receivers' answers, so they need an admin token.
 */
export const lifecycleRoutes: readonly Route[] = [
  ...eventRoutes,
  ...promotionRoutes.map(namingModelIn('name')),
  ...downloadRoutes.map(namingModelIn('name')),
  ...policyRoutes.map(admin),
  ...webhookDeliveryRoutes.map(admin),
];
