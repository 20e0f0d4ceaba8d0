import crypto from 'node:crypto';

/**
 * MLflow's webhook signature (mlflow/webhooks/delivery.py, Standard Webhooks style): `v1,` + base64 of
 * HMAC-SHA256(secret, "<delivery id>.<unix timestamp>.<body>"). Receivers written for MLflow verify semreg's
 * deliveries unchanged.
 */
export const SIGNATURE_HEADER = 'X-MLflow-Signature';
export const TIMESTAMP_HEADER = 'X-MLflow-Timestamp';
export const DELIVERY_ID_HEADER = 'X-MLflow-Delivery-Id';

export function signPayload(secret: string, deliveryId: string, timestamp: string, body: string): string {
  const digest = crypto
    .createHmac('sha256', Buffer.from(secret, 'utf8'))
    .update(`${deliveryId}.${timestamp}.${body}`, 'utf8')
    .digest('base64');
  return `v1,${digest}`;
}

/** Headers of one delivery attempt; the timestamp is the attempt's, so receivers' replay windows hold. */
export function deliveryHeaders(
  secret: string | null,
  deliveryId: string,
  body: string,
  nowMs = Date.now(),
): Record<string, string> {
  const timestamp = String(Math.floor(nowMs / 1000));
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'User-Agent': 'semreg-webhooks/1',
    [DELIVERY_ID_HEADER]: deliveryId,
    [TIMESTAMP_HEADER]: timestamp,
  };
  if (secret) headers[SIGNATURE_HEADER] = signPayload(secret, deliveryId, timestamp, body);
  return headers;
}
