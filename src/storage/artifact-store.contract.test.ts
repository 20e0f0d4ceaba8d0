import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import {
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { runS3 } from '../../test/helpers/seaweedfs';
import { loadConfig } from '../config';
import type { ArtifactStore } from './artifact-store';
import { LocalDiskStore } from './local-disk-store';
import { S3Store } from './s3-store';

/**
 * The behaviour every ArtifactStore must have: each implementation registers a factory here and passes the
 * same cases. The S3 store runs against the run's real SeaweedFS, in a bucket of its own per test.
 */
interface Harness {
  store: ArtifactStore;
  /** Takes the store's storage away (a lost mount, a deleted bucket). */
  lose(): Promise<void>;
  /** Number of temporary (unfinished) uploads still lying around. */
  temporaryFileCount(): Promise<number>;
  close(): Promise<void>;
}

async function emptyBucket(client: S3Client, bucket: string): Promise<void> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
  for (const object of listed.Contents ?? [])
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: object.Key }));
}

const implementations: Array<[string, () => Promise<Harness>]> = [
  [
    'LocalDiskStore',
    async () => {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'semreg-store-'));
      const store = await LocalDiskStore.open(root);
      return {
        store,
        temporaryFileCount: async () =>
          fs
            .readdirSync(path.join(root, '.tmp'), { recursive: true, withFileTypes: true })
            .filter((e) => e.isFile()).length,
        lose: async () => fs.rmSync(root, { recursive: true, force: true }),
        close: async () => fs.rmSync(root, { recursive: true, force: true }),
      };
    },
  ],
  [
    'S3Store (SeaweedFS)',
    async () => {
      const s3 = runS3();
      const bucket = await s3.newBucket('contract');
      const config = loadConfig(s3.env(bucket, 'semreg/artifacts'));
      const store = S3Store.open(config.artifactsDestination!);
      const client = s3.client();
      return {
        store,
        // Unfinished multipart uploads and anything in the store's own temp area.
        temporaryFileCount: async () => {
          const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
          const temp = await client.send(
            new ListObjectsV2Command({ Bucket: bucket, Prefix: 'semreg/artifacts/.tmp/' }),
          );
          return (uploads.Uploads?.length ?? 0) + (temp.KeyCount ?? 0);
        },
        lose: async () => {
          await emptyBucket(client, bucket);
          await client.send(new DeleteBucketCommand({ Bucket: bucket }));
        },
        close: async () => {
          await emptyBucket(client, bucket).catch(() => undefined);
          await client.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
          client.destroy();
          store.close();
        },
      };
    },
  ],
];

const sha256 = (data: Buffer | string): string => crypto.createHash('sha256').update(data).digest('hex');
const MAX = 1024 * 1024;

/** A body that sends `first`, then fails (a disconnect seen from the store's side). */
function failingBody(first: Buffer): Readable {
  const body = new PassThrough();
  body.write(first);
  setTimeout(() => body.destroy(new Error('connection reset')), 10);
  return body;
}

describe.each(implementations)('ArtifactStore contract: %s', (_name, create) => {
  let h: Harness;
  let store: ArtifactStore;

  beforeEach(async () => {
    h = await create();
    store = h.store;
  });
  afterEach(() => h.close());

  const put = (key: string, data: string | Buffer) =>
    store.put(key, Readable.from([Buffer.from(data)]), { maxBytes: MAX });
  const read = async (key: string) => text((await store.get(key)).stream);

  it('probe resolves for a working store, leaves nothing behind, and rejects once the storage is gone', async () => {
    await expect(store.probe()).resolves.toBeUndefined();
    expect(await h.temporaryFileCount()).toBe(0);
    expect(await store.list('')).toEqual([]);
    await h.lose();
    await expect(store.probe()).rejects.toThrow();
  });

  it('stores a stream and reports its size and sha256', async () => {
    const data = crypto.randomBytes(300_000);
    const result = await store.put(
      '1/run/artifacts/model.pkl',
      Readable.from([data.subarray(0, 1000), data.subarray(1000)]),
      {
        maxBytes: MAX,
      },
    );
    expect(result).toEqual({ size: 300_000, sha256: sha256(data) });
    const got = await store.get('1/run/artifacts/model.pkl');
    expect(got.size).toBe(300_000);
    const chunks: Buffer[] = [];
    for await (const chunk of got.stream) chunks.push(chunk as Buffer);
    expect(sha256(Buffer.concat(chunks))).toBe(sha256(data));
    expect(await h.temporaryFileCount()).toBe(0);
  });

  // Past the S3 store's 8 MiB part size: a multipart upload, completed only once verified.
  it('stores a file of several parts, and refuses one whose sha256 differs without leaving any part', async () => {
    const data = crypto.randomBytes(20 * MAX);
    const chunks = Array.from({ length: 20 }, (_, i) => data.subarray(i * MAX, (i + 1) * MAX));
    const options = { maxBytes: 64 * MAX, expectedSha256: sha256(data) };
    expect(await store.put('big/model.bin', Readable.from(chunks), options)).toEqual({
      size: data.length,
      sha256: sha256(data),
    });
    const got = await store.get('big/model.bin', { range: { start: 9 * MAX - 3, end: 9 * MAX + 2 } });
    expect(Buffer.concat(await got.stream.toArray())).toEqual(data.subarray(9 * MAX - 3, 9 * MAX + 3));

    const refused = store.put('big/other.bin', Readable.from(chunks), {
      ...options,
      expectedSha256: sha256('x'),
    });
    await expect(refused).rejects.toMatchObject({ errorCode: 'INVALID_PARAMETER_VALUE' });
    expect(await store.stat('big/other.bin')).toBeUndefined();
    expect(await h.temporaryFileCount()).toBe(0);
  });

  it('lists a folder of more than 1,000 files (several pages) and deletes it whole', async () => {
    const names = Array.from({ length: 1005 }, (_, i) => `f${String(i).padStart(4, '0')}.txt`);
    for (let i = 0; i < names.length; i += 50)
      await Promise.all(names.slice(i, i + 50).map((name) => put(`many/${name}`, name)));
    const listed = await store.list('many');
    expect(listed.map((entry) => entry.name)).toEqual(names);
    await store.delete('many');
    expect(await store.list('many')).toEqual([]);
    expect(await store.stat('many')).toBeUndefined();
  });

  it('stores an empty file', async () => {
    expect(await put('a/empty.txt', '')).toEqual({ size: 0, sha256: sha256('') });
    expect(await read('a/empty.txt')).toBe('');
  });

  it('overwrites an existing file', async () => {
    await put('a/f.txt', 'old');
    await put('a/f.txt', 'new content');
    expect(await read('a/f.txt')).toBe('new content');
    expect((await store.stat('a/f.txt'))?.size).toBe(11);
  });

  it('serves an inclusive byte range', async () => {
    await put('r.bin', '0123456789');
    const got = await store.get('r.bin', { range: { start: 2, end: 5 } });
    expect(got.size).toBe(10);
    expect(await text(got.stream)).toBe('2345');
  });

  it('refuses a range past the end with 416', async () => {
    await put('r.bin', '0123456789');
    await expect(store.get('r.bin', { range: { start: 5, end: 10 } })).rejects.toMatchObject({ status: 416 });
  });

  it('answers 404 for a missing file and for a directory', async () => {
    await put('d/f.txt', 'x');
    await expect(store.get('missing.txt')).rejects.toMatchObject({
      errorCode: 'RESOURCE_DOES_NOT_EXIST',
      status: 404,
    });
    await expect(store.get('d')).rejects.toMatchObject({ errorCode: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it('stats files, directories, the root and missing keys', async () => {
    await put('d/f.txt', 'abc');
    expect(await store.stat('d/f.txt')).toMatchObject({ size: 3, isDir: false });
    expect(await store.stat('d')).toMatchObject({ isDir: true });
    expect(await store.stat('')).toMatchObject({ isDir: true });
    expect(await store.stat('nope')).toBeUndefined();
    expect(await store.stat('d/f.txt/below')).toBeUndefined();
  });

  it('lists direct children by basename, sorted, and [] for a missing path or a file', async () => {
    await put('exp/run/b.txt', 'bb');
    await put('exp/run/a.txt', 'a');
    await put('exp/run/sub/deep.txt', 'deep');
    expect(await store.list('exp/run')).toEqual([
      { name: 'a.txt', isDir: false, size: 1 },
      { name: 'b.txt', isDir: false, size: 2 },
      { name: 'sub', isDir: true },
    ]);
    expect(await store.list('exp/run/a.txt')).toEqual([]);
    expect(await store.list('exp/none')).toEqual([]);
    expect(await store.list('')).toEqual([{ name: 'exp', isDir: true }]);
  });

  it('deletes a file, a whole tree, and ignores a missing key', async () => {
    await put('t/a.txt', 'a');
    await put('t/sub/b.txt', 'b');
    await store.delete('t/a.txt');
    expect(await store.stat('t/a.txt')).toBeUndefined();
    await store.delete('t');
    expect(await store.stat('t/sub/b.txt')).toBeUndefined();
    await expect(store.delete('t')).resolves.toBeUndefined();
  });

  it('removes empty directories below a prefix and keeps every file and the folders holding one', async () => {
    await put('e/keep/f.txt', 'f');
    await put('e/gone/deep/x.txt', 'x');
    await store.delete('e/gone/deep/x.txt');
    await store.removeEmptyDirectories('e');
    expect(await store.list('e')).toEqual([{ name: 'keep', isDir: true }]);
    expect(await store.stat('e/keep/f.txt')).toMatchObject({ size: 1 });
    await store.delete('e/keep/f.txt');
    await store.removeEmptyDirectories('e');
    expect(await store.stat('e')).toBeUndefined();
    await expect(store.removeEmptyDirectories('e')).resolves.toBeUndefined();
    // A put into a folder just removed recreates it.
    await put('e/again/f.txt', 'f');
    expect(await store.stat('e/again/f.txt')).toMatchObject({ size: 1 });
  });

  it('refuses to delete the root', async () => {
    await expect(store.delete('')).rejects.toMatchObject({ status: 400 });
  });

  it('stops at maxBytes with 413 and keeps the previous content', async () => {
    await put('big.bin', 'previous');
    const body = Readable.from([Buffer.alloc(600), Buffer.alloc(600)]);
    await expect(store.put('big.bin', body, { maxBytes: 1000 })).rejects.toMatchObject({ status: 413 });
    expect(await read('big.bin')).toBe('previous');
    expect(await h.temporaryFileCount()).toBe(0);
  });

  it('refuses a body whose sha256 differs from the expected one', async () => {
    const body = Readable.from([Buffer.from('abc')]);
    await expect(
      store.put('s.txt', body, { maxBytes: MAX, expectedSha256: sha256('xyz') }),
    ).rejects.toMatchObject({
      errorCode: 'INVALID_PARAMETER_VALUE',
    });
    expect(await store.stat('s.txt')).toBeUndefined();
    await expect(
      store.put('s.txt', Readable.from([Buffer.from('abc')]), {
        maxBytes: MAX,
        expectedSha256: sha256('abc').toUpperCase(),
      }),
    ).resolves.toMatchObject({ size: 3 });
  });

  it('publishes through the caller hook with the final size and hash, and stores nothing if the hook fails first', async () => {
    const seen: unknown[] = [];
    await store.put('hook/ok.txt', Readable.from([Buffer.from('abc')]), {
      maxBytes: MAX,
      publish: async (publish, file) => {
        seen.push(file);
        expect(await store.stat('hook/ok.txt')).toBeUndefined();
        await publish();
      },
    });
    expect(seen).toEqual([{ size: 3, sha256: sha256('abc') }]);
    expect(await read('hook/ok.txt')).toBe('abc');

    const refused = store.put('hook/no.txt', Readable.from([Buffer.from('abc')]), {
      maxBytes: MAX,
      publish: async () => {
        throw new Error('database down');
      },
    });
    await expect(refused).rejects.toThrow('database down');
    expect(await store.stat('hook/no.txt')).toBeUndefined();
    expect(await h.temporaryFileCount()).toBe(0);
  });

  it('survives a body that fails before the store starts reading it', async () => {
    const body = new PassThrough();
    body.destroy(new Error('connection reset'));
    await expect(store.put('early.bin', body, { maxBytes: MAX })).rejects.toBeDefined();
    expect(await store.stat('early.bin')).toBeUndefined();
    expect(await h.temporaryFileCount()).toBe(0);
  });

  it('leaves nothing behind when the body fails mid-way', async () => {
    await expect(
      store.put('broken.bin', failingBody(Buffer.alloc(5000)), { maxBytes: MAX }),
    ).rejects.toBeDefined();
    expect(await store.stat('broken.bin')).toBeUndefined();
    expect(await h.temporaryFileCount()).toBe(0);
  });

  it('leaves nothing behind when the upload is aborted through its signal', async () => {
    const body = new PassThrough();
    body.write(Buffer.alloc(5000));
    const controller = new AbortController();
    const pending = store.put('aborted.bin', body, { maxBytes: MAX, signal: controller.signal });
    setTimeout(() => controller.abort(), 10);
    await expect(pending).rejects.toMatchObject({ errorCode: 'BAD_REQUEST' });
    expect(await store.stat('aborted.bin')).toBeUndefined();
    expect(await h.temporaryFileCount()).toBe(0);
  });

  it.each([['../x'], ['%2e%2e/x'], ['/etc/passwd'], ['a\\b'], ['.tmp/x'], ['.tmp']])(
    'refuses key %j with 400',
    async (key) => {
      await expect(put(key, 'x')).rejects.toMatchObject({
        errorCode: 'INVALID_PARAMETER_VALUE',
        status: 400,
      });
      await expect(store.get(key)).rejects.toMatchObject({ status: 400 });
      await expect(store.list(key)).rejects.toMatchObject({ status: 400 });
      await expect(store.delete(key)).rejects.toMatchObject({ status: 400 });
    },
  );

  it('refuses to write through a file or over a directory', async () => {
    await put('f.txt', 'x');
    await put('dir/inner.txt', 'y');
    await expect(put('f.txt/child', 'z')).rejects.toMatchObject({ status: 400 });
    await expect(put('dir', 'z')).rejects.toMatchObject({ status: 400 });
    expect(await read('dir/inner.txt')).toBe('y');
    expect(await h.temporaryFileCount()).toBe(0);
  });
});

describe('LocalDiskStore specifics', () => {
  let base: string;
  let root: string;
  const canary = () => path.join(base, 'outside', 'canary.txt');

  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'semreg-store-'));
    root = path.join(base, 'artifacts');
    fs.mkdirSync(path.join(base, 'outside'));
    fs.writeFileSync(canary(), 'canary');
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

  it('refuses every operation through a symlink that points out of the root', async () => {
    const store = await LocalDiskStore.open(root);
    fs.symlinkSync(path.join(base, 'outside'), path.join(root, 'link'));
    const put = store.put('link/canary.txt', Readable.from([Buffer.from('owned')]), { maxBytes: MAX });
    await expect(put).rejects.toMatchObject({ status: 400 });
    await expect(store.get('link/canary.txt')).rejects.toMatchObject({ status: 400 });
    await expect(store.list('link')).rejects.toMatchObject({ status: 400 });
    await expect(store.delete('link/canary.txt')).rejects.toMatchObject({ status: 400 });
    expect(await store.list('')).toEqual([]);
    expect(fs.readFileSync(canary(), 'utf8')).toBe('canary');
  });

  it('cleans temporary files of dead processes at start-up and keeps those of live ones', async () => {
    const first = await LocalDiskStore.open(root);
    const tmp = path.join(root, '.tmp');
    const dead = path.join(tmp, `999999999_deadbeef_${os.hostname()}`);
    fs.mkdirSync(dead);
    fs.writeFileSync(path.join(dead, 'x.part'), 'partial');
    // A restarted container: same pid and hostname as before the crash, another instance id.
    const earlierIncarnation = path.join(tmp, `${process.pid}_0badcafe_${os.hostname()}`);
    fs.mkdirSync(earlierIncarnation);
    fs.writeFileSync(path.join(earlierIncarnation, 'z.part'), 'partial');
    fs.writeFileSync(path.join(tmp, 'stray.part'), 'partial');
    const live = fs
      .readdirSync(tmp)
      .find((name) => name.startsWith(`${process.pid}_`) && !name.includes('0badcafe'))!;
    fs.writeFileSync(path.join(tmp, live, 'y.part'), 'in flight');

    const second = await LocalDiskStore.open(root);
    await second.cleanTemporaryFiles();
    expect(fs.existsSync(dead)).toBe(false);
    expect(fs.existsSync(earlierIncarnation)).toBe(false);
    expect(fs.existsSync(path.join(tmp, 'stray.part'))).toBe(false);
    expect(fs.existsSync(path.join(tmp, live, 'y.part'))).toBe(true);
    expect(first).toBeDefined();
  });

  // A real full disk needs a small file system: root mounts a 1 MiB tmpfs (elsewhere the fault suite covers it).
  const canMount = process.getuid?.() === 0 && process.platform === 'linux';
  (canMount ? it : it.skip)(
    'answers 507 on a full disk and leaves neither a partial file nor a temporary one',
    async () => {
      fs.mkdirSync(root);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', root]);
      try {
        const store = await LocalDiskStore.open(root);
        const body = Readable.from([crypto.randomBytes(600_000), crypto.randomBytes(600_000)]);
        await expect(store.put('full.bin', body, { maxBytes: MAX * 4 })).rejects.toMatchObject({
          errorCode: 'RESOURCE_EXHAUSTED',
          status: 507,
        });
        expect(await store.stat('full.bin')).toBeUndefined();
        expect(
          fs
            .readdirSync(path.join(root, '.tmp'), { recursive: true, withFileTypes: true })
            .filter((e) => e.isFile()),
        ).toEqual([]);
        await expect(
          store.put('small.txt', Readable.from([Buffer.from('fits')]), { maxBytes: MAX }),
        ).resolves.toMatchObject({ size: 4 });
      } finally {
        execFileSync('umount', [root]);
      }
    },
  );
});
