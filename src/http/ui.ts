import fs from 'node:fs';
import path from 'node:path';
import { Router, type Request, type Response, type NextFunction } from 'express';
import type { AppContext } from '../app-context';
import { declare, open } from './access';

/**
 * The web UI's files (docs/ui.md), built by scripts/build.mjs into dist/ui/. Mounted before `authenticate`:
 * the page and its scripts are public, like any login page; every byte of registry data the UI shows comes
 * from the API with the token the user typed in. Only `/`, `/ui` and `/ui/…` are answered here, so every
 * API path keeps its JSON answers (404 included).
 *
 * Reading a handful of built files is the one file-system access in http/: they are the server's own
 * program, not artifacts, so they do not go through the ArtifactStore.
 */

/** No inline scripts or styles anywhere; images may be blob: URLs (previews fetched with the token). */
export const UI_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const ASSET_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

/** Only plain file names the build writes: no `/`, no `..`, so a request can never leave assets/. */
const ASSET_NAME = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;

/** dist/ui beside the bundled server (dist/main.js), or the repository's dist/ui when run from src/ (tsx, jest). */
function findUiDir(): string | undefined {
  const candidates = [path.join(__dirname, 'ui'), path.resolve(__dirname, '..', '..', 'dist', 'ui')];
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'index.html')));
}

function acceptedEncoding(req: Request, file: string): { file: string; encoding?: string } {
  const accepted = String(req.headers['accept-encoding'] ?? '');
  if (/\bbr\b/.test(accepted) && fs.existsSync(`${file}.br`)) return { file: `${file}.br`, encoding: 'br' };
  if (/\bgzip\b/.test(accepted) && fs.existsSync(`${file}.gz`))
    return { file: `${file}.gz`, encoding: 'gzip' };
  return { file };
}

/**
 * Streams a built file. A rebuild (`npm run build` beside a running server) replaces dist/ui/ whole, so a file
 * can vanish between the lookup and the read: that is the API's 404 before the headers, a cut connection
 * after them, never an unhandled stream error.
 */
function sendStatic(
  req: Request,
  res: Response,
  next: NextFunction,
  file: string,
  type: string,
  cacheControl: string,
): void {
  const chosen = acceptedEncoding(req, file);
  const stat = fs.statSync(chosen.file, { throwIfNoEntry: false });
  if (!stat?.isFile()) return next();
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', String(stat.size));
  res.setHeader('Cache-Control', cacheControl);
  res.setHeader('Vary', 'Accept-Encoding');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  if (chosen.encoding) res.setHeader('Content-Encoding', chosen.encoding);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const stream = fs.createReadStream(chosen.file);
  stream.once('error', () => {
    if (res.headersSent) res.destroy();
    else {
      for (const header of ['Content-Type', 'Content-Length', 'Cache-Control', 'Content-Encoding'])
        res.removeHeader(header);
      next();
    }
  });
  stream.pipe(res);
}

export function uiRoutes(app: AppContext): Router {
  const router = Router({ caseSensitive: true, strict: true });
  const uiDir = findUiDir();
  // Not built (a production install without dev dependencies): `/` stays the API's JSON 404.
  if (!uiDir) return router;

  const publicFile = declare(app, open);
  const index = (req: Request, res: Response, next: NextFunction): void => {
    res.setHeader('Content-Security-Policy', UI_CONTENT_SECURITY_POLICY);
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    sendStatic(req, res, next, path.join(uiDir, 'index.html'), 'text/html; charset=utf-8', 'no-cache');
  };

  router.get('/ui/assets/:file', publicFile, (req: Request, res: Response, next: NextFunction) => {
    const name = String(req.params.file);
    const type = ASSET_TYPES[path.extname(name)];
    const file = path.join(uiDir, 'assets', name);
    if (!ASSET_NAME.test(name) || !type) return next();
    // Names carry a content hash (scripts/build.mjs): a changed file is a new URL.
    sendStatic(req, res, next, file, type, 'public, max-age=31536000, immutable');
  });
  // History-API routes: every page of the UI is index.html; the client router reads the path.
  router.get(['/', '/ui', /^\/ui\/(?!assets\/).*/], publicFile, index);
  return router;
}
