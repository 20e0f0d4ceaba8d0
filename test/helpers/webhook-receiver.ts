import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a receiver got, as MLflow's documented receiver would see it. */
export interface ReceivedWebhook {
  headers: http.IncomingHttpHeaders;
  body: string;
  json: any;
}

/**
 * A real HTTP receiver on 127.0.0.1. `respond` decides each answer (default 200); returning 'hang' leaves the
 * request unanswered (a receiver that stalls), which the sender must survive.
 */
export async function startWebhookReceiver(
  respond: (index: number, hit: ReceivedWebhook) => number | 'hang' = () => 200,
) {
  const received: ReceivedWebhook[] = [];
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const hit = { headers: req.headers, body, json };
      received.push(hit);
      const answer = respond(received.length - 1, hit);
      if (answer === 'hang') {
        hanging.add(res);
        return;
      }
      res.writeHead(answer, { 'Content-Type': 'text/plain' });
      res.end(answer < 300 ? 'ok' : 'receiver error');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The verifier from MLflow's webhook documentation, transcribed: the signature header is `v1,` + base64
 * HMAC-SHA256 of "<delivery id>.<timestamp>.<raw body>", compared in constant time, and the timestamp must be
 * within five minutes (replay protection).
 */
export function verifyMlflowSignature(
  hit: ReceivedWebhook,
  secret: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): boolean {
  const signature = hit.headers['x-mlflow-signature'];
  const deliveryId = hit.headers['x-mlflow-delivery-id'];
  const timestamp = hit.headers['x-mlflow-timestamp'];
  if (typeof signature !== 'string' || typeof deliveryId !== 'string' || typeof timestamp !== 'string')
    return false;
  if (!signature.startsWith('v1,')) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > 300) return false;
  const expected = crypto
    .createHmac('sha256', secret)
    .update(`${deliveryId}.${timestamp}.${hit.body}`)
    .digest('base64');
  const provided = signature.slice(3);
  return (
    expected.length === provided.length &&
    crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(provided))
  );
}
