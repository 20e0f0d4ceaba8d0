import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { invalidParameter, MlflowError } from '../../errors';
import { parseJsonExactly } from '../exact-json';
import { assertJsonShape } from '../json-shape';
import type { ByteBudget, Reservation } from './byte-budget';

/**
 * JSON bodies for the MLflow and semreg JSON endpoints. A body that is not declared as `application/json`
 * is refused instead of being skipped (express.json() would leave `req.body` undefined and the handler
 * would run on nothing): it is MLflow's CSRF defence (mlflow-compat.md §1.3, §7).
 *
 * A body is held in memory, up to 64 MiB each (dataset profiles need tens of MB, §1.6), so memory is
 * accounted for by the bytes actually received:
 * - every chunk is taken from one budget shared by the app (`MAX_JSON_INFLIGHT_BYTES`) as it arrives, and
 *   given back when the response is done; a client that sends headers and then nothing holds nothing, and
 *   each token (or client address) may hold a quarter of the budget at most;
 * - compressed bodies are refused (400, as the reference server answers them), never inflated: 61 KB of
 *   gzip inflates to 64 MB, so charging what was sent would not bound memory. The MLflow client never
 *   compresses a request (issue 17, item 3);
 * - a body with no byte for `BODY_IDLE_TIMEOUT_SECONDS` is cut off with 408, so idle sockets cannot pin
 *   what they have sent.
 * When the budget is spent the request gets 503 with `Retry-After`, its body read and discarded, and the
 * MLflow client retries it after a backoff.
 */
export const MAX_JSON_BYTES = 64 * 1024 * 1024;

declare module 'express-serve-static-core' {
  interface Request {
    /**
     * The JSON body as received (already charged to the budget until the response is done): request
     * validation reads it back only to quote a refused number as sent (`9.0`, src/http/validation.ts).
     */
    rawJsonBody?: Buffer;
  }
}

export interface JsonBodyOptions {
  budget: ByteBudget;
  idleTimeoutMs: number;
}

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function mediaTypeOf(value: string | undefined): { type: string; charset?: string } | undefined {
  if (!value) return undefined;
  const [type, ...params] = value.split(';').map((part) => part.trim().toLowerCase());
  const charset = params.find((param) => param.startsWith('charset='))?.slice('charset='.length);
  return { type, charset: charset?.replace(/^"|"$/g, '') };
}

const badRequest = (message: string) => new MlflowError('BAD_REQUEST', message);

/** The checks that need no byte of the body: type, charset, encoding, declared size. */
function refusal(req: Request): MlflowError | undefined {
  const media = mediaTypeOf(req.headers['content-type']);
  if (media?.type !== 'application/json') {
    return invalidParameter(
      "Bad request: the body of this endpoint must be sent with 'Content-Type: application/json'.",
    );
  }
  if (media.charset !== undefined && media.charset !== 'utf-8' && media.charset !== 'utf8')
    return invalidParameter(`Unsupported charset '${media.charset.slice(0, 40)}': JSON bodies are UTF-8.`);
  // The reference server (3.17) does not inflate either: a compressed body reads as empty there and gets
  // 400 INVALID_PARAMETER_VALUE for a missing field. Same status and code here, with the actual reason.
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== '') {
    return invalidParameter(
      `Content-Encoding '${encoding.slice(0, 40)}' is not accepted on JSON bodies; send them uncompressed.`,
    );
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > MAX_JSON_BYTES)
    return new MlflowError(
      'INVALID_PARAMETER_VALUE',
      'The request body is larger than the server accepts.',
      413,
    );
  return undefined;
}

/** Who a request's bytes are charged to: its token, or its client address when auth is off. */
function holderOf(req: Request): string {
  return req.principal ? `token:${req.principal.tokenId}` : `address:${req.socket.remoteAddress ?? ''}`;
}

function readBody(req: Request, reservation: Reservation, idleTimeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (err: MlflowError | undefined): void => {
      clearTimeout(idle);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('aborted', onAborted);
      req.off('error', onAborted);
      if (err) reject(err);
      else resolve(Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > MAX_JSON_BYTES)
        return finish(
          new MlflowError(
            'INVALID_PARAMETER_VALUE',
            'The request body is larger than the server accepts.',
            413,
          ),
        );
      if (!reservation.take(chunk.length)) {
        return finish(
          new MlflowError(
            'TEMPORARILY_UNAVAILABLE',
            'The server is holding too many request bodies at once; retry shortly.',
          ),
        );
      }
      chunks.push(chunk);
      idle.refresh();
    };
    const onEnd = (): void => finish(undefined);
    const onAborted = (): void => finish(badRequest('The request was aborted by the client.'));
    const idle = setTimeout(
      () =>
        finish(
          new MlflowError(
            'DEADLINE_EXCEEDED',
            `No byte of the request body arrived for ${Math.round(idleTimeoutMs / 1000)} s.`,
            408,
          ),
        ),
      idleTimeoutMs,
    );
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('aborted', onAborted);
    req.on('error', onAborted);
  });
}

function parse(raw: Buffer): Record<string, unknown> {
  const text = raw.toString('utf8').replace(/^\uFEFF/, '');
  if (text.trim() === '') return {};
  let body: unknown;
  try {
    body = parseJsonExactly(text);
  } catch {
    throw badRequest('The request body is not valid JSON.');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badRequest('The request body must be a JSON object.');
  assertJsonShape(body);
  return body as Record<string, unknown>;
}

export function jsonBody({ budget, idleTimeoutMs }: JsonBodyOptions): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return next();
    if (!hasBody(req) && !req.headers['content-type']) {
      req.body = {};
      return next();
    }
    const refused = refusal(req);
    if (refused) return next(refused);
    const reservation = budget.open(holderOf(req));
    res.once('close', () => reservation.release());
    readBody(req, reservation, idleTimeoutMs).then(
      (raw) => {
        try {
          req.body = parse(raw);
          req.rawJsonBody = raw;
        } catch (err) {
          return next(err);
        }
        next();
      },
      (err: MlflowError) => {
        if (err.status === 503) res.setHeader('Retry-After', '1');
        // The rest of the body will not be read: an unfinished one ends the connection after the answer.
        if (err.status === 408) res.setHeader('Connection', 'close');
        next(err);
      },
    );
  };
}
