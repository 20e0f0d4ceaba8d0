import crypto from 'node:crypto';
import { Transform } from 'node:stream';
import { digestMismatch, invalidParameter } from '../errors';

/**
 * Digests a client may send with an upload (issue 5 "Integrity"): `X-Checksum-Sha256: <hex>` (what
 * Artifactory and GitLab clients send), `Content-MD5: <base64>` (RFC 1864) and `Digest: sha-256=<base64>,
 * md5=<base64>` (RFC 3230). A mismatch refuses the upload before anything becomes visible.
 */
export interface ExpectedDigests {
  sha256?: string;
  md5?: string;
}

type Headers = Readonly<Record<string, string | string[] | undefined>>;

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return (Array.isArray(value) ? value.join(',') : value)?.trim() || undefined;
}

function fromBase64(value: string, bytes: number, source: string): string {
  const decoded = BASE64.test(value) ? Buffer.from(value, 'base64') : Buffer.alloc(0);
  if (decoded.length !== bytes)
    throw invalidParameter(`Invalid ${source}: expected ${bytes} bytes in base64.`);
  return decoded.toString('hex');
}

function agree(current: string | undefined, next: string, what: string): string {
  if (current !== undefined && current !== next)
    throw invalidParameter(`The request carries two different ${what} digests.`);
  return next;
}

export function expectedDigests(headers: Headers): ExpectedDigests {
  const expected: ExpectedDigests = {};
  const sha = header(headers, 'x-checksum-sha256');
  if (sha !== undefined) {
    if (!HEX_SHA256.test(sha))
      throw invalidParameter('Invalid X-Checksum-Sha256 header: expected 64 hexadecimal characters.');
    expected.sha256 = sha.toLowerCase();
  }
  const md5 = header(headers, 'content-md5');
  if (md5 !== undefined) expected.md5 = fromBase64(md5, 16, 'Content-MD5 header');
  const digest = header(headers, 'digest');
  for (const entry of digest?.split(',') ?? []) {
    const eq = entry.indexOf('=');
    const algorithm = entry.slice(0, eq).trim().toLowerCase();
    const value = entry.slice(eq + 1).trim();
    // Other algorithms (sha-512, unixsum, …) are allowed by RFC 3230 and ignored here.
    if (eq > 0 && algorithm === 'sha-256')
      expected.sha256 = agree(expected.sha256, fromBase64(value, 32, 'Digest sha-256'), 'SHA-256');
    if (eq > 0 && algorithm === 'md5')
      expected.md5 = agree(expected.md5, fromBase64(value, 16, 'Digest md5'), 'MD5');
  }
  return expected;
}

/**
 * A pass-through that computes the body's MD5 and fails at its end when it differs. It fails in `flush`,
 * i.e. before the store renames the temporary file into place, so a mismatch stores nothing. (The sha256
 * needs no pass-through: the store computes it anyway and checks `expectedSha256` itself.)
 */
export function md5Check(expectedMd5: string): Transform {
  const md5 = crypto.createHash('md5');
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      md5.update(chunk);
      callback(null, chunk);
    },
    flush(callback) {
      const actual = md5.digest('hex');
      callback(actual === expectedMd5 ? null : digestMismatch('MD5', actual, expectedMd5));
    },
  });
}
