import crypto from 'node:crypto';
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';

const CHUNK = 8 * 1024 * 1024;

/**
 * Writes `bytes` of random data (incompressible, so no layer can cheat with compression) and returns its
 * sha256. Written in 8 MiB chunks: the benchmark process itself stays small.
 */
export async function writeRandomFile(file: string, bytes: number): Promise<string> {
  const hash = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'w');
  try {
    const chunk = Buffer.allocUnsafe(CHUNK);
    for (let written = 0; written < bytes;) {
      const n = Math.min(CHUNK, bytes - written);
      crypto.randomFillSync(chunk, 0, n);
      hash.update(chunk.subarray(0, n));
      let offset = 0;
      while (offset < n) offset += fs.writeSync(fd, chunk, offset, n - offset);
      written += n;
    }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

export async function sha256File(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  await pipeline(fs.createReadStream(file, { highWaterMark: 1024 * 1024 }), hash);
  return hash.digest('hex');
}

export const MB = 1e6;
export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

/** Megabytes (10^6 bytes) per second. */
export function mbPerSecond(bytes: number, seconds: number): number {
  return bytes / MB / seconds;
}
