import {
  distinctFreePorts,
  freshDatabaseUrl,
  ServerProcess,
  startServer,
} from '../../helpers/server-process';

/** `METRICS_PORT` on a real `node dist/main.js`: metrics on loopback without a token, nothing else there. */
describe('METRICS_PORT on a running server', () => {
  let server: ServerProcess;
  let metricsPort: number;
  beforeAll(async () => {
    let port: number;
    [port, metricsPort] = await distinctFreePorts(2);
    server = await startServer({
      port,
      databaseUrl: await freshDatabaseUrl(),
      env: {
        AUTH: 'on',
        ADMIN_TOKEN: 'srg_metrics-port-test-admin-token-0123456789',
        METRICS_PORT: String(metricsPort),
      },
    });
  });
  afterAll(() => server?.stop());

  it('serves /metrics on 127.0.0.1:METRICS_PORT without a token, and only that', async () => {
    await fetch(`${server.url}/ready`).then((res) => expect(res.status).toBe(200));
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('semreg_http_requests_total{method="GET",route="/ready",status_class="2xx"} 1');
    expect((await fetch(`http://127.0.0.1:${metricsPort}/health`)).status).toBe(404);
    // On the main port /metrics is gone; with AUTH=on a request without a token is refused first.
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
  });
});
