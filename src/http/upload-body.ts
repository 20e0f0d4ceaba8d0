import type { IncomingHttpHeaders } from 'node:http';
import { PassThrough } from 'node:stream';
import type { Request } from 'express';
import { fileTooLarge } from '../errors';

/** The body length a request declares (`Content-Length`), when it declares one. */
export function declaredLength(headers: IncomingHttpHeaders): number | undefined {
  const declared = Number(headers['content-length']);
  return Number.isFinite(declared) && declared >= 0 ? declared : undefined;
}

/** `declaredLength`, refused with 413 before a byte is read when it is over `maxBytes`. */
export function declaredLengthWithin(headers: IncomingHttpHeaders, maxBytes: number): number | undefined {
  const declared = declaredLength(headers);
  if (declared !== undefined && declared > maxBytes) throw fileTooLarge(maxBytes);
  return declared;
}

/**
 * A raw request body as a store reads it. Through a PassThrough: if the store stops reading (413 mid-stream),
 * only the PassThrough is destroyed and the socket survives to carry the JSON error. A client that
 * disconnects before the end aborts the upload through `signal`, and the store discards what it wrote.
 */
export function uploadBody(req: Request): { body: PassThrough; signal: AbortSignal } {
  const controller = new AbortController();
  const abortIfIncomplete = () => {
    if (!req.complete) controller.abort();
  };
  req.on('error', abortIfIncomplete);
  req.on('close', abortIfIncomplete);
  const body = new PassThrough();
  req.pipe(body);
  return { body, signal: controller.signal };
}
