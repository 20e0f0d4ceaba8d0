import type { IncomingHttpHeaders } from 'node:http';
import { PassThrough } from 'node:stream';
import type { Request } from 'express';

/** The body length a request declares (`Content-Length`), when it declares one. */
export function declaredLength(headers: IncomingHttpHeaders): number | undefined {
  const declared = Number(headers['content-length']);
  return headers['content-length'] !== undefined && Number.isSafeInteger(declared) && declared >= 0
    ? declared
    : undefined;
}

/**
 * A raw request body as a store reads it. Through a PassThrough: if the store stops reading (413 mid-stream),
 * only the PassThrough is destroyed and the socket survives to carry the JSON error. A client that
 * disconnects before the end aborts the upload through `signal`, and the store discards what it wrote.
 */
export function uploadBody(req: Request): {
  body: PassThrough;
  signal: AbortSignal;
  declaredBytes: number | undefined;
} {
  const controller = new AbortController();
  const abortIfIncomplete = () => {
    if (!req.complete) controller.abort();
  };
  req.on('error', abortIfIncomplete);
  req.on('close', abortIfIncomplete);
  const body = new PassThrough();
  req.pipe(body);
  return { body, signal: controller.signal, declaredBytes: declaredLength(req.headers) };
}
