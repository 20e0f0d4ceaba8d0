import { api, ok } from './client';

export function listWebhooks() {
  return ok(api.GET('/api/2.0/mlflow/webhooks', { params: { query: { max_results: 100 } } }));
}

export function listDeliveries(webhookId: string) {
  return ok(
    api.GET('/api/webhooks/{webhook_id}/deliveries', {
      params: { path: { webhook_id: webhookId }, query: { max_results: 20 } },
    }),
  );
}

export function redeliver(webhookId: string, deliveryId: string) {
  return ok(
    api.POST('/api/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver', {
      params: { path: { webhook_id: webhookId, delivery_id: deliveryId } },
    }),
  );
}
