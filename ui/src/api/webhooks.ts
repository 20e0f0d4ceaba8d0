import { request, segment, type OkBody } from './client';

export function listWebhooks() {
  return request<OkBody<'listWebhooks'>>('GET', '/api/2.0/mlflow/webhooks', { query: { max_results: 100 } });
}

export function listDeliveries(webhookId: string) {
  return request<OkBody<'listWebhookDeliveries'>>('GET', `/api/webhooks/${segment(webhookId)}/deliveries`, {
    query: { max_results: 20 },
  });
}

export function redeliver(webhookId: string, deliveryId: string) {
  return request<OkBody<'redeliverWebhookDelivery'>>(
    'POST',
    `/api/webhooks/${segment(webhookId)}/deliveries/${segment(deliveryId)}/redeliver`,
  );
}
