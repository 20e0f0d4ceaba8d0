import http from 'node:http';
import type { Registry } from 'prom-client';
import { listen } from '../startup/listen';

/**
 * `METRICS_PORT`: `/metrics` alone on 127.0.0.1:<port>, without a token, for a Prometheus on the same host (or
 * a sidecar); nothing else is served there. Returns the function that closes it.
 */
export async function serveMetrics(registry: Registry, port: number): Promise<() => Promise<void>> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('only GET /metrics is served here\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(text),
      () => res.writeHead(500, { 'Content-Type': 'text/plain' }).end('metrics could not be collected\n'),
    );
  });
  await listen(server, port, '127.0.0.1', 'METRICS_PORT');
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
