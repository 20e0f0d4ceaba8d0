import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import { deleteStoredTree, findStoredFile, storeFile } from '../../../src/storage/stored-files';
import { createTestApp, TestApp } from '../../helpers/test-app';

const sha256 = (data: string): string => crypto.createHash('sha256').update(data).digest('hex');
const body = (data: string): Readable => Readable.from([Buffer.from(data)]);

describe('stored_files: size and sha256 of every stored file', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.close());

  it('records a stored file under its normalised key and updates the row on overwrite', async () => {
    const stored = await storeFile(t.ctx, './x//a%20b/f.txt', body('hello'), {
      maxBytes: 100,
      contentType: 'text/plain',
    });
    expect(stored).toMatchObject({
      key: 'x/a b/f.txt',
      size: 5,
      sha256: sha256('hello'),
      contentType: 'text/plain',
    });
    expect(await findStoredFile(t.db, 'x/a b/f.txt')).toEqual(stored);

    await storeFile(t.ctx, 'x/a b/f.txt', body('hello again'), { maxBytes: 100 });
    expect(await findStoredFile(t.db, 'x/a b/f.txt')).toMatchObject({
      size: 11,
      sha256: sha256('hello again'),
      contentType: null,
    });
    expect(await t.db('stored_files').where({ key: 'x/a b/f.txt' }).count('* as n').first()).toEqual({
      n: 1,
    });
  });

  it('keeps the row in step with the bytes when uploads of one key race', async () => {
    const bodies = Array.from({ length: 12 }, (_, i) => `content number ${i} `.repeat(1000 + i));
    await Promise.all(
      bodies.map((data) => storeFile(t.ctx, 'race/f.bin', body(data), { maxBytes: 1_000_000 })),
    );
    const { stream } = await t.ctx.storage.get('race/f.bin');
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    const onDisk = Buffer.concat(chunks).toString();
    expect(bodies).toContain(onDisk);
    expect(await findStoredFile(t.db, 'race/f.bin')).toMatchObject({
      size: onDisk.length,
      sha256: sha256(onDisk),
    });
  });

  it('writes no row when the upload fails', async () => {
    await expect(
      storeFile(t.ctx, 'y/big.bin', body('x'.repeat(200)), { maxBytes: 100 }),
    ).rejects.toMatchObject({ status: 413 });
    expect(await findStoredFile(t.db, 'y/big.bin')).toBeUndefined();
    expect(await t.ctx.storage.stat('y/big.bin')).toBeUndefined();
  });

  it('deletes a tree with exactly its rows (LIKE wildcards in the key are literal)', async () => {
    for (const key of ['d_1/a.txt', 'd_1/sub/b.txt', 'dx1/keep.txt', 'd_10/keep.txt']) {
      await storeFile(t.ctx, key, body(key), { maxBytes: 100 });
    }
    await deleteStoredTree(t.ctx, 'd_1');
    const keys = (
      await t
        .db('stored_files')
        .whereIn('key', ['d_1/a.txt', 'd_1/sub/b.txt', 'dx1/keep.txt', 'd_10/keep.txt'])
        .pluck('key')
    ).sort();
    expect(keys).toEqual(['d_10/keep.txt', 'dx1/keep.txt']);
    expect(await t.ctx.storage.stat('d_1')).toBeUndefined();
    expect(await t.ctx.storage.stat('dx1/keep.txt')).toMatchObject({ size: 12 });
  });

  it('refuses traversal before storing or recording anything', async () => {
    await expect(storeFile(t.ctx, '../escape.txt', body('x'), { maxBytes: 100 })).rejects.toMatchObject({
      status: 400,
    });
    await expect(deleteStoredTree(t.ctx, '%2e%2e/x')).rejects.toMatchObject({ status: 400 });
    await expect(deleteStoredTree(t.ctx, '')).rejects.toMatchObject({ status: 400 });
  });
});
