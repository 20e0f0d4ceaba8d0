import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import supertest from 'supertest';
import { createApp } from '../../src/app';
import type { AppContext } from '../../src/app-context';
import { Config, loadConfig } from '../../src/config';
import { ensureDatabase } from '../../src/db/ensure-database';
import { createDb, Db } from '../../src/db/knex';
import { migrateToLatest } from '../../src/db/migrate';
import { createLogger } from '../../src/log';
import { openArtifactStore } from '../../src/storage/open-store';
import { runS3 } from './seaweedfs';

export interface TestApp {
  app: Express;
  ctx: AppContext;
  db: Db;
  config: Config;
  /** supertest agent bound to the app */
  http: ReturnType<typeof supertest>;
  dataDir: string;
  close(): Promise<void>;
}

/**
 * A fresh database (and data directory) on the run's real PostgreSQL, migrated, with an app built on it.
 * `env` overrides configuration the way environment variables would (e.g. `{ AUTH: 'on' }`). In the jest
 * project `s3` (SEMREG_TEST_STORE=s3) the app stores its files in a new bucket of the run's SeaweedFS.
 */
export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) throw new Error('TEST_DATABASE_URL is not set: run the tests through jest (global setup)');
  const dbName = `t_${crypto.randomBytes(6).toString('hex')}`;
  const databaseUrl = await ensureDatabase(serverUrl, dbName);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'semreg-test-data-'));
  const s3 = process.env.SEMREG_TEST_STORE === 's3' ? runS3() : undefined;
  const storeEnv = s3 ? s3.env(await s3.newBucket('app'), 'semreg') : {};
  const config = loadConfig({
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    WEBHOOK_WORKER: 'off',
    ...storeEnv,
    ...env,
  });
  const db = createDb(databaseUrl, 20);
  await migrateToLatest(db);
  const storage = await openArtifactStore(config);
  const ctx: AppContext = { config, db, log: createLogger(config.logLevel), storage };
  const app = createApp(ctx);
  return {
    app,
    ctx,
    db,
    config,
    http: supertest(app),
    dataDir,
    async close() {
      storage.close();
      await db.destroy();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
