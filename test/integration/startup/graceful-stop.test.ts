import crypto from 'node:crypto';
import http from 'node:http';
import { freshDatabaseUrl, startServer } from '../../helpers/server-process';

/**
 * A rolling restart sends SIGTERM: the replica takes no new connection (the load balancer moves on to
 * another), but the upload in flight finishes and is stored before the process exits.
 */
it('finishes an upload in flight after SIGTERM, refusing new connections meanwhile', async () => {
  const databaseUrl = await freshDatabaseUrl();
  const server = await startServer({ databaseUrl, env: { SHUTDOWN_GRACE_SECONDS: '20' } });
  const key = '1/rolling/artifacts/model.bin';
  const body = crypto.randomBytes(4 * 1024 * 1024);
  const url = `${server.url}/api/2.0/mlflow-artifacts/artifacts/${key}`;

  // Half the body, then SIGTERM, then (while the server drains) the rest, slowly.
  const answered = new Promise<number>((resolve, reject) => {
    const req = http.request(url, { method: 'PUT', headers: { 'Content-Length': String(body.length) } });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.write(body.subarray(0, body.length / 2), () => {
      process.kill(server.pid, 'SIGTERM');
      setTimeout(() => req.end(body.subarray(body.length / 2)), 1500);
    });
  });
  await new Promise((resolve) => setTimeout(resolve, 500));
  // No new connection is accepted while it drains.
  await expect(fetch(`${server.url}/health`)).rejects.toThrow();
  expect(await answered).toBe(200);
  await server.stop();

  // The bytes were stored: the next process on the same database and data serves them.
  const again = await startServer({ dataDir: server.dataDir, databaseUrl });
  try {
    const res = await fetch(`${again.url}/api/2.0/mlflow-artifacts/artifacts/${key}`);
    expect(res.headers.get('x-checksum-sha256')).toBe(crypto.createHash('sha256').update(body).digest('hex'));
    expect(Buffer.from(await res.arrayBuffer()).equals(body)).toBe(true);
  } finally {
    await again.stop();
  }
}, 60_000);
