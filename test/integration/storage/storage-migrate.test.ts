import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import supertest from 'supertest';
import { createApp } from '../../../src/app';
import { loadConfig } from '../../../src/config';
import { createLogger } from '../../../src/log';
import {
  FileOutcome,
  MigrationOptions,
  MigrationReport,
  migrateStore,
} from '../../../src/storage/migrate-store';
import { openArtifactStore } from '../../../src/storage/open-store';
import { bytesOrJson } from '../../helpers/bodies';
import { runSemreg } from '../../helpers/cli';
import { putArtifacts, uniqueName } from '../../helpers/mlflow';
import { runS3 } from '../../helpers/seaweedfs';
import { makeDataDir, startServer } from '../../helpers/server-process';
import { createTestApp, TestApp } from '../../helpers/test-app';

/**
 * Issue 12: `semreg storage migrate --to s3://…` copies every stored file from the local-disk store to the
 * S3 store, each verified against the sha256 PostgreSQL recorded, and can be run again after anything
 * stopped it. Real PostgreSQL, real SeaweedFS, real HTTP uploads; the store's bytes are read behind
 * semreg's back to prove what landed.
 */
const s3 = runS3();
const PREFIX = 'semreg/migrated';
const sha256 = (data: Buffer | string) => crypto.createHash('sha256').update(data).digest('hex');

interface RecordedFile {
  key: string;
  size: number;
  sha256: string;
}

/** A local-disk app holding run artifacts (one past the S3 store's 5 MiB part size) and package files. */
async function uploadedSource(): Promise<{ t: TestApp; run: string; model: string }> {
  const t = await createTestApp();
  const run = `1/${crypto.randomBytes(8).toString('hex')}/artifacts`;
  await putArtifacts(t, run, {
    'model.bin': crypto.randomBytes(9 * 1024 * 1024 + 17),
    'conf/params.json': '{"lr": 0.1}',
    'empty.txt': '',
  });
  const model = uniqueName('migrate');
  for (const [file, body] of Object.entries({
    'weights.bin': crypto.randomBytes(100_000),
    'docs/README.md': '# churn\n',
  })) {
    await t.http
      .put(`/api/packages/${model}/1.0.0/${file}`)
      .set('Content-Type', 'application/octet-stream')
      .send(Buffer.from(body))
      .expect(201);
  }
  return { t, run, model };
}

async function recordedFiles(t: TestApp): Promise<RecordedFile[]> {
  const rows = (await t.db('stored_files').select('key', 'size', 'sha256').orderBy('key')) as RecordedFile[];
  return rows.map((row) => ({ ...row, size: Number(row.size) }));
}

const onDisk = (t: TestApp, key: string) => path.join(t.config.artifactRoot, key);

/** The connection string the test app's database handle was made with. */
const databaseUrlOf = (t: TestApp): string =>
  (t.db.client.config.connection as { connectionString: string }).connectionString;

/** What the bucket holds below the prefix, read with a client of our own. */
async function objectBytes(bucket: string, key: string): Promise<Buffer | undefined> {
  const client = s3.client();
  try {
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: `${PREFIX}/${key}` }));
    return Buffer.from(await got.Body!.transformToByteArray());
  } catch (err) {
    if ((err as Error).name === 'NoSuchKey') return undefined;
    throw err;
  } finally {
    client.destroy();
  }
}

async function objectKeys(bucket: string): Promise<string[]> {
  const client = s3.client();
  try {
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${PREFIX}/` }));
    return (listed.Contents ?? [])
      .map((object) => object.Key!.slice(PREFIX.length + 1))
      .filter((key) => !key.endsWith('/'))
      .sort();
  } finally {
    client.destroy();
  }
}

/** The object's ETag: S3 stores give a multipart upload's object the suffix `-<number of parts>`. */
async function objectEtag(bucket: string, key: string): Promise<string | undefined> {
  const client = s3.client();
  try {
    return (await client.send(new HeadObjectCommand({ Bucket: bucket, Key: `${PREFIX}/${key}` }))).ETag;
  } finally {
    client.destroy();
  }
}

async function unfinishedUploads(bucket: string): Promise<number> {
  const client = s3.client();
  try {
    return (await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads?.length ?? 0;
  } finally {
    client.destroy();
  }
}

/** Runs the migration in-process, from the app's local-disk store into `bucket`, collecting every outcome. */
async function migrate(
  t: TestApp,
  bucket: string,
  options: Partial<MigrationOptions> = {},
): Promise<{ report: MigrationReport; outcomes: FileOutcome[] }> {
  const target = await openArtifactStore(loadConfig({ DATA_DIR: t.dataDir, ...s3.env(bucket, PREFIX) }));
  const outcomes: FileOutcome[] = [];
  try {
    const report = await migrateStore({
      db: t.db,
      source: t.ctx.storage,
      target,
      ...options,
      onFile: (file) => {
        outcomes.push(file);
        options.onFile?.(file);
      },
    });
    return { report, outcomes };
  } finally {
    target.close();
  }
}

/** The settings the command needs besides --to: the server's database and the store's endpoint. */
function cliEnv(t: TestApp, bucket: string): Record<string, string> {
  const store = s3.env(bucket, PREFIX);
  delete store.ARTIFACTS_DESTINATION; // --to names it
  return { ...store, DATABASE_URL: databaseUrlOf(t), DATA_DIR: t.dataDir };
}

const outcomeOf = (outcomes: FileOutcome[], key: string) => outcomes.find((o) => o.key === key);

describe('migrateStore (local disk → S3)', () => {
  let t: TestApp;
  afterEach(async () => t?.close());

  it('copies every recorded file with its bytes, and an app on the bucket serves the same downloads', async () => {
    const source = await uploadedSource();
    t = source.t;
    const bucket = await s3.newBucket('migrate');
    const recorded = await recordedFiles(t);
    expect(recorded).toHaveLength(5);

    const { report } = await migrate(t, bucket, { concurrency: 3 });
    expect(report).toEqual({
      copied: 5,
      bytes: recorded.reduce((sum, file) => sum + file.size, 0),
      skipped: 0,
      unrecorded: 0,
      missing: 0,
      failed: 0,
      integrityFailures: 0,
      interrupted: false,
    });
    expect(await objectKeys(bucket)).toEqual(recorded.map((file) => file.key));
    // Compared by digest: jest's deep equality walks a 9 MiB buffer byte by byte for half a minute.
    for (const file of recorded) {
      const copied = (await objectBytes(bucket, file.key))!;
      expect(copied.length).toBe(file.size);
      expect(sha256(copied)).toBe(sha256(fs.readFileSync(onDisk(t, file.key))));
      expect(sha256(copied)).toBe(file.sha256);
    }
    expect(await unfinishedUploads(bucket)).toBe(0);
    // The 9 MiB file went up in two 5 MiB parts, not held whole in memory for one PUT.
    expect(await objectEtag(bucket, `${source.run}/model.bin`)).toMatch(/-2"$/);

    // The server switched to the bucket, on the same database, answers every download as before.
    const config = loadConfig({
      DATA_DIR: t.dataDir,
      LOG_LEVEL: 'silent',
      WEBHOOK_WORKER: 'off',
      ...s3.env(bucket, PREFIX),
    });
    const storage = await openArtifactStore(config);
    const onS3 = supertest(createApp({ config, db: t.db, log: createLogger('silent'), storage }));
    try {
      const downloads = [
        ...['model.bin', 'conf/params.json', 'empty.txt'].map(
          (rel) => `/api/2.0/mlflow-artifacts/artifacts/${source.run}/${rel}`,
        ),
        ...['weights.bin', 'docs/README.md'].map((rel) => `/api/packages/${source.model}/1.0.0/${rel}`),
      ];
      for (const url of downloads) {
        const before = await t.http.get(url).buffer(true).parse(bytesOrJson).expect(200);
        const after = await onS3.get(url).buffer(true).parse(bytesOrJson).expect(200);
        expect(Buffer.isBuffer(after.body)).toBe(true);
        expect(sha256(after.body as Buffer)).toBe(sha256(before.body as Buffer));
        expect(after.headers['x-checksum-sha256']).toBe(before.headers['x-checksum-sha256']);
      }
    } finally {
      storage.close();
    }
  });

  it('skips every file on a re-run without copying a byte', async () => {
    t = (await uploadedSource()).t;
    const bucket = await s3.newBucket('migrate');
    await migrate(t, bucket);

    const { report, outcomes } = await migrate(t, bucket);
    expect(report).toMatchObject({ copied: 0, bytes: 0, skipped: 5, failed: 0, interrupted: false });
    expect(outcomes.every((o) => o.outcome === 'skipped')).toBe(true);
  });

  it('finishes on a re-run after it was aborted mid-way, leaving no partial object or upload behind', async () => {
    t = (await uploadedSource()).t;
    const bucket = await s3.newBucket('migrate');
    const recorded = await recordedFiles(t);
    const controller = new AbortController();

    // Three at once: when the first file is done the others (the 9 MiB one among them) are still streaming.
    const first = await migrate(t, bucket, {
      concurrency: 3,
      signal: controller.signal,
      onFile: () => controller.abort(),
    });
    expect(first.report.interrupted).toBe(true);
    expect(first.report.failed).toBe(0);
    expect(first.report.copied).toBeGreaterThanOrEqual(1);
    expect(first.report.copied).toBeLessThan(5);
    expect(await unfinishedUploads(bucket)).toBe(0);
    // Whatever is in the bucket is complete.
    for (const key of await objectKeys(bucket))
      expect(sha256((await objectBytes(bucket, key))!)).toBe(recorded.find((f) => f.key === key)!.sha256);

    const second = await migrate(t, bucket);
    expect(second.report).toMatchObject({
      copied: 5 - first.report.copied,
      skipped: first.report.copied,
      failed: 0,
      interrupted: false,
    });
    expect(await objectKeys(bucket)).toEqual(recorded.map((file) => file.key));
  });

  it('reports files whose bytes on disk changed after the upload as failed, and copies the others', async () => {
    const source = await uploadedSource();
    t = source.t;
    const bucket = await s3.newBucket('migrate');
    const recorded = await recordedFiles(t);
    const weights = recorded.find((f) => f.key.endsWith('/weights.bin'))!.key;
    const params = `${source.run}/conf/params.json`;
    const flipped = fs.readFileSync(onDisk(t, weights));
    flipped[1000] ^= 0xff;
    fs.writeFileSync(onDisk(t, weights), flipped); // same size, other bytes
    fs.writeFileSync(onDisk(t, params), '{}'); // truncated

    const { report, outcomes } = await migrate(t, bucket);
    expect(report).toMatchObject({ copied: 3, failed: 2, integrityFailures: 2 });
    expect(outcomeOf(outcomes, weights)).toMatchObject({
      outcome: 'failed',
      integrity: true,
      reason: expect.stringContaining(`its sha256 is ${sha256(flipped)}`),
    });
    expect(outcomeOf(outcomes, params)).toMatchObject({
      outcome: 'failed',
      integrity: true,
      reason: 'it has 2 bytes, the database recorded 11',
    });
    // Neither reached the bucket, not even as a leftover upload.
    expect(await objectBytes(bucket, weights)).toBeUndefined();
    expect(await objectBytes(bucket, params)).toBeUndefined();
    expect(await unfinishedUploads(bucket)).toBe(0);
  });

  it('copies files on disk that the database never recorded, and reports them as unrecorded', async () => {
    t = (await uploadedSource()).t;
    const bucket = await s3.newBucket('migrate');
    const stray = '7/stray/notes.txt';
    fs.mkdirSync(path.dirname(onDisk(t, stray)), { recursive: true });
    fs.writeFileSync(onDisk(t, stray), 'written behind semreg');

    const { report, outcomes } = await migrate(t, bucket);
    expect(report).toMatchObject({ copied: 6, unrecorded: 1, failed: 0 });
    expect(outcomeOf(outcomes, stray)).toMatchObject({ outcome: 'copied', recorded: false });
    expect((await objectBytes(bucket, stray))?.toString()).toBe('written behind semreg');
    // Not the store's own temporary folder, though.
    expect(outcomes.some((o) => o.key.startsWith('.tmp'))).toBe(false);
  });

  it('reports a recorded file that is gone from disk as missing', async () => {
    const source = await uploadedSource();
    t = source.t;
    const bucket = await s3.newBucket('migrate');
    const gone = `${source.run}/empty.txt`;
    fs.rmSync(onDisk(t, gone));

    const { report, outcomes } = await migrate(t, bucket);
    expect(report).toMatchObject({ copied: 4, missing: 1, failed: 0 });
    expect(outcomeOf(outcomes, gone)).toMatchObject({ outcome: 'missing', recorded: true });
  });

  it('trusts the size of an object already there, unless verifyExisting reads it back and copies it again', async () => {
    const source = await uploadedSource();
    t = source.t;
    const bucket = await s3.newBucket('migrate');
    await migrate(t, bucket);
    const key = `${source.run}/conf/params.json`;
    const client = s3.client();
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: `${PREFIX}/${key}`, Body: '{"lr": 9.9}' }));
    client.destroy();

    expect((await migrate(t, bucket)).report).toMatchObject({ copied: 0, skipped: 5 });
    const verified = await migrate(t, bucket, { verifyExisting: true });
    expect(verified.report).toMatchObject({ copied: 1, skipped: 4, failed: 0 });
    expect(outcomeOf(verified.outcomes, key)?.outcome).toBe('copied');
    expect((await objectBytes(bucket, key))?.toString()).toBe('{"lr": 0.1}');
  });
});

describe('semreg storage migrate (the real binary)', () => {
  let t: TestApp;
  afterEach(async () => t?.close());

  it('copies everything with DATABASE_URL, prints the counts, exits 0; a second run skips everything', async () => {
    t = (await uploadedSource()).t;
    const bucket = await s3.newBucket('migrate-cli');
    const recorded = await recordedFiles(t);
    const bytes = recorded.reduce((sum, file) => sum + file.size, 0);
    const to = `s3://${bucket}/${PREFIX}`;

    const first = await runSemreg(['storage', 'migrate', '--to', to], cliEnv(t, bucket));
    expect(first.stderr).toContain(
      `storage migrate: 5 recorded files (${bytes} bytes) from ${t.config.artifactRoot} to ${to}`,
    );
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`^copied: 5 files, ${bytes} bytes$`, 'm'));
    expect(first.stdout).toMatch(/^failed: 0 files$/m);
    for (const file of recorded) expect(sha256((await objectBytes(bucket, file.key))!)).toBe(file.sha256);

    const again = await runSemreg(['storage', 'migrate', '--to', to], cliEnv(t, bucket));
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^copied: 0 files, 0 bytes$/m);
    expect(again.stdout).toMatch(/^skipped: 5 files/m);
  });

  it('names a file whose bytes on disk differ from the record and exits 5 after copying the rest', async () => {
    t = (await uploadedSource()).t;
    const bucket = await s3.newBucket('migrate-cli');
    const weights = (await recordedFiles(t)).find((f) => f.key.endsWith('/weights.bin'))!.key;
    const flipped = fs.readFileSync(onDisk(t, weights));
    flipped[0] ^= 0xff;
    fs.writeFileSync(onDisk(t, weights), flipped);

    const res = await runSemreg(
      ['storage', 'migrate', '--to', `s3://${bucket}/${PREFIX}`],
      cliEnv(t, bucket),
    );
    expect(res.code).toBe(5);
    expect(res.stderr).toContain(`failed ${weights}: its sha256 is ${sha256(flipped)}`);
    expect(res.stderr).toContain('semreg: 1 file(s) on disk differ from what the database recorded');
    expect(res.stdout).toMatch(/^copied: 4 files/m);
    expect(res.stdout).toMatch(/^failed: 1 file$/m);
    expect(await objectBytes(bucket, weights)).toBeUndefined();
  });

  it('refuses a destination that is not s3:// with exit 2, before touching anything', async () => {
    const res = await runSemreg(['storage', 'migrate', '--to', '/mnt/elsewhere'], {});
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('ARTIFACTS_DESTINATION must be s3://bucket[/prefix]');
  });

  it('works on the embedded PostgreSQL of DATA_DIR, while `npm start` runs and after it stopped', async () => {
    const dataDir = makeDataDir('semreg-migrate-');
    const bucket = await s3.newBucket('migrate-embedded');
    const { ARTIFACTS_DESTINATION: to, ...store } = s3.env(bucket, PREFIX);
    const env = { ...store, DATA_DIR: dataDir };
    const model = uniqueName('embedded');
    const body = crypto.randomBytes(50_000);
    let server = await startServer({ dataDir });
    try {
      const put = await fetch(`${server.url}/api/packages/${model}/1.0.0/model.onnx`, {
        method: 'PUT',
        body,
      });
      expect(put.status).toBe(201);

      // The server's PostgreSQL is reused while it runs …
      const live = await runSemreg(['storage', 'migrate', '--to', to], env);
      expect(live.stderr).not.toContain('semreg:');
      expect(live.code).toBe(0);
      expect(live.stdout).toMatch(/^copied: 1 file, 50000 bytes$/m);
      await server.stop();

      // … and started (then stopped again) by the command itself once the server is down.
      const stopped = await runSemreg(['storage', 'migrate', '--to', to], env);
      expect(stopped.code).toBe(0);
      expect(stopped.stdout).toMatch(/^skipped: 1 file /m);
      expect(fs.existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
      expect(fs.existsSync(path.join(dataDir, 'semreg.pid'))).toBe(false);

      server = await startServer({ dataDir, env: s3.env(bucket, PREFIX) });
      const served = await fetch(`${server.url}/api/packages/${model}/1.0.0/model.onnx`);
      expect(served.status).toBe(200);
      expect(Buffer.from(await served.arrayBuffer())).toEqual(body);
    } finally {
      await server.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
