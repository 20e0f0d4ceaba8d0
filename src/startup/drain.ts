import type http from 'node:http';

/**
 * Stops a server the way a rolling restart needs: no new connections (the load balancer moves on to another
 * replica), idle keep-alive connections closed, requests in flight — a 5 GiB upload, a download — allowed
 * to finish for up to `graceMs`, and only then the rest cut.
 */
export async function drain(server: http.Server, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const deadline = setTimeout(() => server.closeAllConnections(), graceMs);
  await closed;
  clearTimeout(deadline);
}
