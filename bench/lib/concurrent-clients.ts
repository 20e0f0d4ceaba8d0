import { performance } from 'node:perf_hooks';
import { latencyStats, LatencyStats } from './latency-stats';

export interface LoadResult {
  requests: number;
  errors: number;
  firstErrors: string[];
  seconds: number;
  perSecond: number;
  latency: LatencyStats;
}

/**
 * `clients` loops run at once, each doing exactly `perClient` calls one after another (a bounded closed loop,
 * like `clients` training scripts logging). `call` throws or returns an error string on failure.
 */
export async function runClients(
  clients: number,
  perClient: number,
  call: (client: number, i: number) => Promise<string | undefined>,
): Promise<LoadResult> {
  const latencies: number[] = [];
  const failures: string[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      for (let i = 0; i < perClient; i += 1) {
        const t0 = performance.now();
        const failure = await call(client, i).catch((err: Error) => err.message);
        latencies.push(performance.now() - t0);
        if (failure !== undefined) failures.push(failure);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const requests = clients * perClient;
  return {
    requests,
    errors: failures.length,
    firstErrors: failures.slice(0, 5),
    seconds,
    perSecond: requests / seconds,
    latency: latencyStats(latencies),
  };
}
