import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { runSemreg } from '../../helpers/cli';
import { runS3 } from '../../helpers/seaweedfs';
import { makeDataDir, ServerProcess, startServer } from '../../helpers/server-process';
import { Api, newBackupDir, SERVER_ENV, sha256, startRegistry } from './support';

/**
 * With an S3 store the bucket keeps the bytes (its versioning is the artifact backup): `semreg backup` lists
 * every object the database records with its size and sha256, and `semreg restore` checks the bucket still
 * has them all.
 */
jest.setTimeout(240_000);

const s3 = runS3();
const PREFIX = 'semreg';

describe('semreg backup and restore with an S3 store', () => {
  let source: ServerProcess;
  let restored: ServerProcess | undefined;
  let storeEnv: Record<string, string>;
  let backupDir: string;
  const weights = Buffer.from('s3 weights '.repeat(1000));

  beforeAll(async () => {
    const bucket = await s3.newBucket('backup');
    storeEnv = s3.env(bucket, PREFIX);
    source = await startServer({
      dataDir: makeDataDir('semreg-backup-'),
      env: { ...SERVER_ENV, ...storeEnv },
    });
    const api = new Api(source.url);
    await api.ok('POST', '/api/2.0/mlflow/registered-models/create', { name: 'in-s3' });
    await api.put('/api/packages/in-s3/1.0.0/weights.bin', weights);
    await api.put('/api/2.0/mlflow-artifacts/artifacts/0/run-a/artifacts/notes.txt', 'notes');
    backupDir = newBackupDir();
  });

  afterAll(async () => {
    await restored?.stop();
    await source?.stop();
  });

  it('lists every object with its size and sha256 instead of copying it', async () => {
    const made = await runSemreg(['backup', backupDir], { DATA_DIR: source.dataDir, ...storeEnv });
    expect(made.code).toBe(0);
    expect(made.stdout).toMatch(
      /2 files \(11005 bytes\) listed from s3:\/\/.*\/semreg \(the bucket's versions hold the bytes\)/,
    );
    const manifest = JSON.parse(fs.readFileSync(path.join(backupDir, 'manifest.json'), 'utf8'));
    expect(manifest.store).toEqual({
      kind: 's3',
      bucket: storeEnv.ARTIFACTS_DESTINATION.split('/')[2],
      prefix: PREFIX,
    });
    expect(fs.existsSync(path.join(backupDir, 'files'))).toBe(false);
    const listed = fs
      .readFileSync(path.join(backupDir, 's3-objects.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(listed).toEqual([
      { key: '0/run-a/artifacts/notes.txt', size: 5, sha256: sha256('notes') },
      {
        key: expect.stringMatching(/^packages\/\d+\/1\.0\.0\/weights\.bin$/),
        size: weights.length,
        sha256: sha256(weights),
      },
    ]);
  });

  it('restores the database, checks the bucket, and the restored server serves the same files', async () => {
    const dataDir = makeDataDir('semreg-restored-');
    const done = await runSemreg(['restore', backupDir], { DATA_DIR: dataDir, ...storeEnv });
    expect(done.stderr).not.toMatch(/semreg:/);
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/all 2 objects the database records are in s3:\/\//);
    restored = await startServer({ dataDir, env: { ...SERVER_ENV, ...storeEnv } });
    expect(sha256(await new Api(restored.url).bytes('/api/packages/in-s3/1.0.0/weights.bin'))).toBe(
      sha256(weights),
    );
  });

  it('says which objects the bucket lost, so they can be brought back from its versions', async () => {
    const [bucket] = storeEnv.ARTIFACTS_DESTINATION.slice('s3://'.length).split('/');
    await s3
      .client()
      .send(new DeleteObjectCommand({ Bucket: bucket, Key: `${PREFIX}/0/run-a/artifacts/notes.txt` }));
    const done = await runSemreg(['restore', backupDir], {
      DATA_DIR: makeDataDir('semreg-restored-'),
      ...storeEnv,
    });
    expect(done.code).toBe(5);
    expect(done.stderr.trim().split('\n').at(-1)).toMatch(
      /^semreg: the database was restored, but 1 of the 2 objects it records are missing from s3:\/\/.* \(first: 0\/run-a\/artifacts\/notes\.txt\): restore them from the bucket's versions/,
    );
  });
});

describe('a local-disk backup restored into an S3 store', () => {
  it('streams each file into the bucket in 5 MiB parts, and the bytes arrive whole', async () => {
    const source = await startRegistry();
    const big = crypto.randomBytes(6 * 1024 * 1024 + 3);
    const backupDir = newBackupDir();
    try {
      const api = new Api(source.url);
      await api.ok('POST', '/api/2.0/mlflow/registered-models/create', { name: 'to-s3' });
      await api.put('/api/packages/to-s3/1.0.0/big.bin', big);
      const made = await runSemreg(['backup', backupDir], { DATA_DIR: source.dataDir });
      expect(made.code).toBe(0);
    } finally {
      await source.stop();
    }
    const bucket = await s3.newBucket('restore');
    const done = await runSemreg(['restore', backupDir], {
      DATA_DIR: makeDataDir('semreg-restored-'),
      ...s3.env(bucket, PREFIX),
    });
    expect(done.stderr).not.toMatch(/semreg:/);
    expect(done.code).toBe(0);

    const client = s3.client();
    try {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${PREFIX}/` }));
      const key = listed.Contents?.find((object) => object.Key?.endsWith('/1.0.0/big.bin'))?.Key;
      expect(key).toBeDefined();
      // A multipart object's ETag ends in its number of parts: the file was never held whole in memory.
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      expect(head.ETag).toMatch(/-2"$/);
      const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      expect(sha256(Buffer.from(await got.Body!.transformToByteArray()))).toBe(sha256(big));
    } finally {
      client.destroy();
    }
  });
});
