import http from 'node:http';
import { createApp } from './app';
import { answerClientErrorsWithJson } from './http/client-errors';
import { bootstrapAdminToken } from './auth/bootstrap-admin';
import { releaseAbandonedUploadLocks, startLeaseRenewal } from './packages/upload-lock';
import type { AppContext } from './app-context';
import { Config, loadConfig } from './config';
import { checkDatabase } from './db/check-database';
import { startEmbeddedPostgres } from './db/embedded-postgres';
import { ensureDatabase } from './db/ensure-database';
import { createDb } from './db/knex';
import { migrateToLatest } from './db/migrate';
import { createLogger, flushLog, Logger } from './log';
import { seedPoliciesFromFile } from './lifecycle/stage-policy';
import { WebhookWorker } from './lifecycle/webhook-worker';
import type { Metrics } from './metrics/metrics';
import { serveMetrics } from './metrics/metrics-server';
import { lockDataDir } from './startup/data-dir-lock';
import { openCheckedStore } from './startup/artifact-store';
import { drain } from './startup/drain';
import { listen } from './startup/listen';
import { mlflowUiDir } from './http/mlflow-ui';
import { firstLine, StartupFailure } from './startup/startup-failure';
import { tuneGarbageCollection } from './startup/garbage-collection';
import { ensureWritableDirectory } from './startup/writable-directory';

/** What a stop (signal or failed start) must undo, newest first. */
type Undo = () => Promise<void>;

/** The embedded PostgreSQL of DATA_DIR (DATABASE_URL unset): its database URL. */
async function embeddedDatabase(config: Config, log: Logger, undo: Undo[]): Promise<string> {
  undo.push(await lockDataDir(config.dataDir));
  const embedded = await startEmbeddedPostgres(
    config.dataDir,
    (message) => log.debug({ postgres: message }),
    {
      clusterRoot: config.embeddedPostgresRoot,
      notice: (message) => log.info(message),
    },
  );
  undo.push(() => embedded.stop());
  log.info({ dataDir: config.dataDir }, 'embedded PostgreSQL is up');
  return ensureDatabase(embedded.url, 'semreg');
}

function configureServer(server: http.Server, config: Config): void {
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
}

/**
 * Starts embedded PostgreSQL when DATABASE_URL is unset, migrates, listens; nothing else. Returns what a stop
 * must undo. Every failure that a person can fix is a StartupFailure with one line naming cause and fix.
 */
async function start(config: Config, log: Logger, undo: Undo[]): Promise<void> {
  const localArtifacts = !config.artifactsDestination;
  const artifactsInDataDir = localArtifacts && config.artifactRoot.startsWith(config.dataDir + '/');
  // DATA_DIR holds the embedded cluster and, by default, the artifacts; with neither it is not used.
  if (!config.databaseUrl || artifactsInDataDir) await ensureWritableDirectory(config.dataDir, 'DATA_DIR');
  if (localArtifacts && !artifactsInDataDir)
    await ensureWritableDirectory(config.artifactRoot, 'ARTIFACT_ROOT');
  // A server semreg did not start itself may be unreachable, refuse us or be too old: say so in one line. The
  // embedded one is known (ensureDatabase has just connected to it).
  if (config.databaseUrl) await checkDatabase(config.databaseUrl);
  const databaseUrl = config.databaseUrl ?? (await embeddedDatabase(config, log, undo));

  const db = createDb(databaseUrl, 10, log);
  undo.push(() => db.destroy());
  await migrateToLatest(db);
  await bootstrapAdminToken({ config, db, log });
  if (config.stagePolicyFile) await seedPoliciesFromFile(db, config.stagePolicyFile, log);
  const { store: storage, stop: stopSweep } = await openCheckedStore(config, log);
  undo.push(stopSweep);
  await releaseAbandonedUploadLocks(db);
  undo.push(startLeaseRenewal(db, (err) => log.warn({ err }, 'renewing upload locks failed')));
  const ctx: AppContext = { config, db, log, storage };
  // State lives only in the outbox table, so any number of processes may run a worker side by side.
  if (config.webhookWorkerEnabled) {
    const webhookWorker = new WebhookWorker(db, config, log);
    webhookWorker.start();
    undo.push(() => webhookWorker.stop());
  }

  const app = createApp(ctx);
  // Metrics first: once the main port answers, everything a balancer or Prometheus polls is there.
  if (config.metricsPort) {
    undo.push(await serveMetrics((app.locals.metrics as Metrics).registry, config.metricsPort));
  }
  const server = http.createServer(app);
  configureServer(server, config);
  await flushLog(log);
  await listen(server, config.port, config.host);
  undo.push(async () => {
    // `/ready` answers 503 from now on, for the balancers that poll it.
    app.locals.draining = true;
    await drain(server, config.shutdownGraceMs);
  });
  log.info({ url: `http://${config.host}:${config.port}` }, 'semreg is listening');
  // Where MLflow's own web UI comes from (or that it is off), said once at start, without delaying it.
  void mlflowUiDir(ctx);
}

async function undoAll(undo: Undo[], log: Logger): Promise<void> {
  for (const step of undo.reverse()) {
    await step().catch((err: unknown) => log.error({ err }, 'error while stopping'));
  }
}

async function main(): Promise<void> {
  tuneGarbageCollection();
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    console.error(`semreg could not start: invalid configuration: ${firstLine(err)}`);
    process.exit(1);
  }
  const log = createLogger(config.logLevel);
  // A promise some request forgot to await must fail that request only, not end the process for everyone
  // (Node's default for an unhandled rejection). Errors thrown synchronously in stream callbacks are fixed
  // where they arise (issue 17 item 2); this is the net under what no test has found yet.
  process.on('unhandledRejection', (err) => {
    log.error({ err }, 'unhandled promise rejection: a bug, please report it; the server keeps running');
  });

  const undo: Undo[] = [];
  try {
    await start(config, log, undo);
  } catch (err) {
    // The stack helps only whoever debugs semreg itself; a person starting it gets the one line.
    log.debug({ err }, 'start-up failed');
    await undoAll(undo, log);
    const reason =
      err instanceof StartupFailure ? err.message : `${firstLine(err)} (LOG_LEVEL=debug shows where)`;
    console.error(`semreg could not start: ${reason}`);
    process.exit(1);
  }

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    // A second Ctrl-C does not wait for the transfers in flight.
    if (stopping) process.exit(1);
    stopping = true;
    log.info(
      { signal, graceSeconds: config.shutdownGraceMs / 1000 },
      'shutting down: finishing requests in flight',
    );
    await undoAll(undo, log);
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

void main();
