import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import { MlflowError, notFound } from '../errors';
import type { ArtifactStore, ByteRange } from '../storage/artifact-store';

/**
 * Streams one stored file as a download (mlflow-compat.md §1.4, §7): always an attachment, never sniffed,
 * and anything a browser could render as a document (HTML, SVG, XML, scripts, …) goes out as text/plain,
 * so an uploaded artifact can never run as a page on the server's origin (stored XSS). Single byte ranges
 * are honoured (206/416); multi-range requests get the whole file, which RFC 9110 §14.2 allows.
 */

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

export async function sendArtifact(
  req: Request,
  res: Response,
  storage: ArtifactStore,
  key: string,
): Promise<void> {
  const entry = await storage.stat(key);
  if (!entry || entry.isDir) throw notFound(`No artifact at path '${key}'.`);
  let range: ByteRange | undefined;
  try {
    range = requestedRange(req, entry.size);
  } catch (err) {
    res.setHeader('Content-Range', `bytes */${entry.size}`);
    throw err;
  }
  const { stream, size } = await storage.get(key, { range });

  const name = path.posix.basename(key);
  res.attachment(name);
  const guessed = String(res.getHeader('Content-Type') ?? 'application/octet-stream');
  res.setHeader('Content-Type', isTextLike(name, guessed) ? TEXT_PLAIN : guessed);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Last-Modified', entry.mtime.toUTCString());
  if (range) {
    res.status(206);
    res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
    res.setHeader('Content-Length', range.end - range.start + 1);
  } else {
    res.status(200);
    res.setHeader('Content-Length', size);
  }
  try {
    await pipeline(stream, res);
  } catch (err) {
    // The client went away mid-download: nothing left to answer.
    if (!isDisconnect(err)) throw err;
  }
}
