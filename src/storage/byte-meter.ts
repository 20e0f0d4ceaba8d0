import crypto from 'node:crypto';
import { Transform } from 'node:stream';
import { fileTooLarge } from '../errors';

/**
 * The pass-through every store puts between an upload's body and its destination: counts and hashes the
 * bytes as they stream, and fails the stream (413) as soon as they exceed `maxBytes`, so nothing larger is
 * ever written. `result()` is read once the body has ended.
 */
export class ByteMeter extends Transform {
  private readonly hash = crypto.createHash('sha256');
  // Not `size`: the AWS SDK reads a body's `size` as its length before the first byte arrives.
  private bytes = 0;

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(
    chunk: Buffer,
    _encoding: BufferEncoding,
    callback: (err?: Error | null, data?: Buffer) => void,
  ) {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      callback(fileTooLarge(this.maxBytes));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  /** Size and lower-case hex sha256 of everything that passed. */
  result(): { size: number; sha256: string } {
    return { size: this.bytes, sha256: this.hash.digest('hex') };
  }
}
