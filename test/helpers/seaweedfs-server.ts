/**
 * A SeaweedFS for suites that are not jest (the MLflow-client compat suite): starts one with a bucket, prints
 * the environment a semreg server needs to store its files there as one JSON line, and stops it when its
 * stdin closes (the caller exits or closes the pipe) or on SIGTERM.
 *
 *   tsx test/helpers/seaweedfs-server.ts <bucket> <prefix> [NAME=value …]   (extra semreg settings)
 */
import { startSeaweedFs } from './seaweedfs';

async function main(): Promise<void> {
  const [bucket = 'semreg', prefix = 'semreg', ...settings] = process.argv.slice(2);
  const extra = Object.fromEntries(settings.map((setting) => setting.split(/=(.*)/s).slice(0, 2)));
  const store = await startSeaweedFs({ buckets: [bucket] });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await store.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  process.stdin.on('end', () => void stop());
  process.stdin.on('close', () => void stop());
  process.stdin.resume();
  process.stdout.write(`${JSON.stringify({ ...store.env(bucket, prefix), ...extra })}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
