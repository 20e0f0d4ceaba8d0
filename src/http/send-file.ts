import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import { MlflowError } from '../errors';
import type { AppContext } from '../app-context';
import type { ByteRange } from '../storage/artifact-store';
import { attachmentDisposition, BINARY_TYPE } from '../storage/download-headers';

/**
 * Every file download goes out through here: artifact proxy, the UI's get-artifact routes, packages, GitLab
 * paths and signed links. One place decides the headers, so each route answers GET, HEAD, ranges and
 * HTTP/1.0 the same way:
 * - always `Content-Length` and never a trailer: a trailer needs chunked encoding, which HEAD and HTTP/1.0
 *   (nginx's default `proxy_http_version`) do not have, and Node throws when asked for one (issue 17);
 * - HEAD answers the headers without opening the file;
 * - the sha256 recorded at upload travels as `ETag` and `X-Checksum-Sha256`, so a client verifies the bytes
 *   it received against what was stored;
 * - always an attachment, never sniffed, and anything a browser could render as a document goes out as
 *   text/plain, so a stored file can never run as a page on the server's origin (mlflow-compat.md §7);
 * - one byte range → 206, an unsatisfiable one → 416, several → the whole file (RFC 9110 §14.2 allows it);
 * - with `ARTIFACT_DOWNLOADS=redirect` a GET answers 302 to a presigned URL of the object store, which sends
 *   the same type and disposition and serves the Range the client repeats there; HEAD still answers here.
 */
export interface FileToSend {
  readonly key: string;
  readonly size: number;
  readonly lastModified: Date;
  /** Lower-case hex, when the store's records know it. */
  readonly sha256?: string;
  /** The name offered to save as (defaults to the key's basename). */
  readonly name?: string;
  /**
   * `guess`: the type from the name, text-like types as text/plain (MLflow's UI shows them);
   * `binary`: always application/octet-stream (package files, signed links).
   */
  readonly type: 'guess' | 'binary';
  readonly cacheControl?: string;
}

// MLflow's `_TEXT_EXTENSIONS` (mlflow/server/handlers.py): shown as text in the UI whatever their MIME type.
const TEXT_EXTENSIONS = new Set([
  'txt',
  'log',
  'err',
  'cfg',
  'conf',
  'cnf',
  'cf',
  'ini',
  'properties',
  'prop',
  'hocon',
  'toml',
  'yaml',
  'yml',
  'xml',
  'json',
  'js',
  'py',
  'py3',
  'csv',
  'tsv',
  'md',
  'rst',
  'MLmodel',
  'mlproject',
]);
const RENDERABLE =
  /^(text\/|application\/(.*\+)?(json|xml|javascript|ecmascript|x-sh|yaml|toml)\b|image\/svg)/i;
const TEXT_PLAIN = 'text/plain; charset=utf-8';

function isTextLike(name: string, guessed: string): boolean {
  const extension = path.posix.extname(name).slice(1) || name;
  return TEXT_EXTENSIONS.has(extension) || RENDERABLE.test(guessed);
}

function requestedRange(req: Request, size: number): ByteRange | undefined {
  if (req.headers.range === undefined) return undefined;
  const parsed = req.range(size, { combine: true });
  if (parsed === -1) {
    throw new MlflowError(
      'INVALID_PARAMETER_VALUE',
      `The requested range is outside the file's ${size} bytes.`,
      416,
    );
  }
  if (parsed === -2 || parsed === undefined || parsed.type !== 'bytes' || parsed.length !== 1)
    return undefined;
  return { start: parsed[0].start, end: parsed[0].end };
}

const isDisconnect = (err: unknown): boolean =>
  ['ERR_STREAM_PREMATURE_CLOSE', 'ECONNRESET', 'EPIPE'].includes((err as NodeJS.ErrnoException)?.code ?? '');

export async function sendFile(
  req: Request,
  res: Response,
  app: Pick<AppContext, 'storage' | 'config'>,
  file: FileToSend,
): Promise<void> {
  const store = app.storage;
  const name = file.name ?? path.posix.basename(file.key);
  const extension = path.posix.extname(name);
  if (file.type === 'guess' && extension) res.type(extension);
  const guessed = file.type === 'guess' && extension ? String(res.getHeader('Content-Type')) : BINARY_TYPE;
  res.setHeader('Content-Type', file.type === 'guess' && isTextLike(name, guessed) ? TEXT_PLAIN : guessed);
  res.setHeader('Content-Disposition', attachmentDisposition(name));
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Last-Modified', file.lastModified.toUTCString());
  if (file.cacheControl) res.setHeader('Cache-Control', file.cacheControl);
  if (file.sha256) {
    res.setHeader('ETag', `"${file.sha256}"`);
    res.setHeader('X-Checksum-Sha256', file.sha256);
    if (req.headers['if-none-match'] === `"${file.sha256}"`) {
      res.status(304).end();
      return;
    }
  }
  let range: ByteRange | undefined;
  try {
    range = requestedRange(req, file.size);
  } catch (err) {
    res.setHeader('Content-Range', `bytes */${file.size}`);
    throw err;
  }
  if (range) {
    res.status(206);
    res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${file.size}`);
    res.setHeader('Content-Length', range.end - range.start + 1);
  } else {
    res.status(200);
    res.setHeader('Content-Length', file.size);
  }
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  if (app.config.artifactDownloads === 'redirect' && store.presignGet) {
    const location = await store.presignGet(file.key, app.config.downloadLinkTtlSeconds, {
      contentType: String(res.getHeader('Content-Type')),
      contentDisposition: String(res.getHeader('Content-Disposition')),
    });
    for (const header of ['Content-Range', 'Content-Length', 'Accept-Ranges', 'ETag', 'Last-Modified'])
      res.removeHeader(header);
    res.setHeader('Cache-Control', 'private, no-store');
    res.redirect(302, location);
    return;
  }
  const { stream } = await store.get(file.key, range ? { range } : {});
  try {
    await pipeline(stream, res);
  } catch (err) {
    // The client went away mid-download: nothing left to answer.
    if (!isDisconnect(err) && !res.destroyed) throw err;
  }
}
