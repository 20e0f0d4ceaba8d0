import net from 'node:net';
import { call, freshDatabaseUrl, ServerProcess, startServer } from '../helpers/server-process';

/**
 * Slow-loris (issue 6 item 7): clients that open connections and drip header bytes forever. main.ts sets
 * headersTimeout 20 s, so Node cuts each such connection (Node checks every 30 s: ≤ ~50 s), answering the JSON
 * 408 of src/http/client-errors.ts; meanwhile ordinary requests keep being served.
 */
interface Dripper {
  closedAfterMs: Promise<number>;
  received: () => string;
  stop(): void;
}

function drip(port: number): Dripper {
  const socket = net.connect(port, '127.0.0.1');
  const started = Date.now();
  let received = '';
  socket.on('data', (chunk) => (received += chunk.toString()));
  socket.on('error', () => undefined);
  socket.write('GET /api/2.0/mlflow/registered-models/search HTTP/1.1\r\nHost: 127.0.0.1\r\n');
  let n = 0;
  const timer = setInterval(() => {
    n += 1;
    if (!socket.destroyed) socket.write(`X-Drip-${n}: ${n}\r\n`);
  }, 1000);
  return {
    closedAfterMs: new Promise((resolve) =>
      socket.on('close', () => {
        clearInterval(timer);
        resolve(Date.now() - started);
      }),
    ),
    received: () => received,
    stop() {
      clearInterval(timer);
      socket.destroy();
    },
  };
}

describe('slow-loris headers against a real server', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServer({ databaseUrl: await freshDatabaseUrl() });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('cuts connections whose headers never finish, and keeps serving others meanwhile', async () => {
    const drippers = Array.from({ length: 200 }, () => drip(server.port));
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const meanwhile = await call(server.url, 'GET', '/api/2.0/mlflow/registered-models/search');
    expect(meanwhile.status).toBe(200);

    const closedAfter = await Promise.all(drippers.map((d) => d.closedAfterMs));
    drippers.forEach((d) => d.stop());
    // headersTimeout (20 s) plus Node's 30 s check interval, with slack for a loaded machine.
    expect(Math.max(...closedAfter)).toBeLessThan(65_000);
    expect(Math.min(...closedAfter)).toBeGreaterThanOrEqual(19_000);
    const answer = drippers[0].received();
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(answer).toContain('application/json');
    expect(answer).toContain('"error_code":"DEADLINE_EXCEEDED"');
  });
});
