import { adminOnly } from '../access';
import { defineRoute, Route } from '../route';
import { listDeliveries, redeliver } from '../../lifecycle/webhook-deliveries';

/** semreg's delivery log and manual redelivery (semreg-api.md "Webhooks"). */
export const webhookDeliveryRoutes: Route[] = [
  defineRoute(
    'GET',
    '/webhooks/:webhook_id/deliveries',
    'listWebhookDeliveries',
    adminOnly,
    async ({ input, app }) => listDeliveries(app.db, input.webhook_id, input),
  ),
  defineRoute(
    'POST',
    '/webhooks/:webhook_id/deliveries/:delivery_id/redeliver',
    'redeliverWebhookDelivery',
    adminOnly,
    async ({ input, app }) => ({
      delivery: await redeliver(app.db, input.webhook_id, input.delivery_id),
    }),
  ),
];
