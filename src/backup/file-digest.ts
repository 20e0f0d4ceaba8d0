import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ManifestFile } from './manifest';

/** Counts and hashes the bytes flowing through, unchanged. */
function digester(): { through: Transform; result: () => ManifestFile } {
  const hash = crypto.createHash('sha256');
  let size = 0;
  const through = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  return { through, result: () => ({ size, sha256: hash.digest('hex') }) };
}

/**
 * Streams `source` into `file` (parents created), fsynced before it resolves: memory stays flat whatever
 * the size, and a backup reported complete is on disk.
 */
export async function writeHashed(source: Readable, file: string): Promise<ManifestFile> {
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const { through, result } = digester();
  const out = fs.createWriteStream(file, { flush: true });
  await pipeline(source, through, out);
  return result();
}

export async function hashFile(file: string): Promise<ManifestFile> {
  const { through, result } = digester();
  // Only the digest is wanted: a data listener drains the bytes as they are hashed.
  await pipeline(
    fs.createReadStream(file),
    through.on('data', () => undefined),
  );
  return result();
}
