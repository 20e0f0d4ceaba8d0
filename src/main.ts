import http from 'node:http';
import { createApp } from './app';
import { answerClientErrorsWithJson } from './http/client-errors';
import { bootstrapAdminToken } from './auth/bootstrap-admin';
import { releaseAbandonedUploadLocks } from './packages/upload-lock';
import type { AppContext } from './app-context';
import { loadConfig } from './config';
import { startEmbeddedPostgres, EmbeddedDatabase } from './db/embedded-postgres';
import { ensureDatabase } from './db/ensure-database';
import { createDb } from './db/knex';
import { migrateToLatest } from './db/migrate';
import { createLogger } from './log';
import { LocalDiskStore } from './storage/local-disk-store';
import { seedPoliciesFromFile } from './lifecycle/stage-policy';
import { WebhookWorker } from './lifecycle/webhook-worker';

/** Starts embedded PostgreSQL when DATABASE_URL is unset, migrates, listens; nothing else. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const log = createLogger(config.logLevel);
  // A promise some request forgot to await must fail that request only, not end the process for everyone
  // (Node's default for an unhandled rejection). Errors thrown synchronously in stream callbacks are fixed
  // where they arise (issue 17 item 2); this is the net under what no test has found yet.
  process.on('unhandledRejection', (err) => {
    log.error({ err }, 'unhandled promise rejection: a bug, please report it; the server keeps running');
  });

  let embedded: EmbeddedDatabase | undefined;
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    embedded = await startEmbeddedPostgres(config.dataDir, (message) => log.debug({ postgres: message }));
    databaseUrl = await ensureDatabase(embedded.url, 'semreg');
    log.info({ dataDir: config.dataDir }, 'embedded PostgreSQL is up');
  }

  const db = createDb(databaseUrl, 10, log);
  await migrateToLatest(db);
  await bootstrapAdminToken({ config, db, log });
  if (config.stagePolicyFile) await seedPoliciesFromFile(db, config.stagePolicyFile, log);
  const storage = await LocalDiskStore.open(config.artifactRoot);
  await storage.cleanTemporaryFiles();
  await releaseAbandonedUploadLocks(db);
  const ctx: AppContext = { config, db, log, storage };
  const app = createApp(ctx);
  // State lives only in the outbox table, so any number of processes may run a worker side by side.
  const webhookWorker = config.webhookWorkerEnabled ? new WebhookWorker(db, config, log) : undefined;
  webhookWorker?.start();

  const server = http.createServer(app);
  // Slow-loris defence: headers must arrive quickly; bodies (multi-GiB uploads) may take an hour.
  server.headersTimeout = 20_000;
  server.requestTimeout = 3_600_000;
  server.keepAliveTimeout = 65_000;
  // curl sends `Expect: 100-continue` for large uploads; refuse a declared size over every limit before the
  // client streams gigabytes, instead of Node's automatic "100 Continue".
  const largestUpload = Math.max(config.maxArtifactBytes, config.maxPackageFileBytes);
  server.on('checkContinue', (req, res) => {
    if (Number(req.headers['content-length'] ?? 0) > largestUpload) {
      res.writeHead(413, { 'Content-Type': 'application/json', Connection: 'close' });
      res.end(
        JSON.stringify({
          error_code: 'INVALID_PARAMETER_VALUE',
          message: `The upload is larger than ${largestUpload} bytes.`,
        }),
      );
      return;
    }
    res.writeContinue();
    server.emit('request', req, res);
  });
  answerClientErrorsWithJson(server);
  server.listen(config.port, config.host, () => {
    log.info({ url: `http://${config.host}:${config.port}` }, 'semreg is listening');
  });

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await webhookWorker?.stop();
    await db.destroy();
    await embedded?.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
