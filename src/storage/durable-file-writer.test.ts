import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DurableFileWriter } from './durable-file-writer';

const KiB = 1024;
let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'semreg-durable-'));
});
afterEach(() => {
  jest.restoreAllMocks();
  fs.rmSync(dir, { recursive: true, force: true });
});

const openDescriptors = (): number => fs.readdirSync('/proc/self/fd').length;

/** The FileHandle class, reached through an instance (node:fs/promises does not export it). */
async function fileHandlePrototype(): Promise<fsp.FileHandle> {
  const handle = await fsp.open(__filename, 'r');
  await handle.close();
  return Object.getPrototypeOf(handle) as fsp.FileHandle;
}

describe('DurableFileWriter', () => {
  it('writes every byte of a many-chunk body, flushing in the background on the way and fsyncing at the end', async () => {
    const prototype = await fileHandlePrototype();
    const datasync = jest.spyOn(prototype, 'datasync');
    const sync = jest.spyOn(prototype, 'sync');
    const chunks = Array.from({ length: 200 }, () => crypto.randomBytes(50 * KiB + 7));
    const file = path.join(dir, 'out.bin');

    await pipeline(Readable.from(chunks), new DurableFileWriter(file, 0o640, 1024 * KiB));

    expect(fs.readFileSync(file).equals(Buffer.concat(chunks))).toBe(true);
    expect(fs.statSync(file).mode & 0o777).toBe(0o640);
    // 10 MB past a 1 MiB flush interval: background flushes ran (how many depends on the disk: a flush
    // still running when the next interval passes is not doubled).
    expect(datasync).toHaveBeenCalled();
    expect(sync).toHaveBeenCalledTimes(1);
  });

  it('writes an empty file', async () => {
    const file = path.join(dir, 'empty.bin');
    await pipeline(Readable.from([]), new DurableFileWriter(file, 0o644));
    expect(fs.statSync(file).size).toBe(0);
  });

  it('never opens an existing file', async () => {
    const file = path.join(dir, 'taken.bin');
    fs.writeFileSync(file, 'keep me');
    await expect(
      pipeline(Readable.from([Buffer.from('new')]), new DurableFileWriter(file, 0o644)),
    ).rejects.toMatchObject({ code: 'EEXIST' });
    expect(fs.readFileSync(file, 'utf8')).toBe('keep me');
  });

  it('closes its descriptor when the body fails half-way', async () => {
    const before = openDescriptors();
    const body = new PassThrough();
    const writing = pipeline(body, new DurableFileWriter(path.join(dir, 'cut.bin'), 0o644, 64 * KiB));
    body.write(crypto.randomBytes(300 * KiB));
    await new Promise((resolve) => setTimeout(resolve, 50));
    body.destroy(new Error('client went away'));

    await expect(writing).rejects.toThrow('client went away');
    // The close is asynchronous and may settle after the pipeline has rejected.
    for (let i = 0; i < 100 && openDescriptors() !== before; i += 1)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(openDescriptors()).toBe(before);
  });

  it('fails the upload when a background flush fails', async () => {
    const prototype = await fileHandlePrototype();
    jest
      .spyOn(prototype, 'datasync')
      .mockRejectedValue(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    const chunks = Array.from({ length: 20 }, () => crypto.randomBytes(64 * KiB));

    await expect(
      pipeline(Readable.from(chunks), new DurableFileWriter(path.join(dir, 'eio.bin'), 0o644, 64 * KiB)),
    ).rejects.toMatchObject({ code: 'EIO' });
  });
});
