import crypto from 'node:crypto';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../../app-context';
import { defineRoute, Route } from '../route';
import { downloadUris, resolveSignedDownload } from '../../lifecycle/download-links';

/** The base of absolute links: PUBLIC_URL when set, else the address the caller used (Host is guarded). */
function baseUrl(app: AppContext, req: Request): string {
  return app.config.publicUrl ?? `${req.protocol}://${req.get('host')}`;
}

/** Signed download links (semreg-api.md "Signed download links"). */
export const downloadRoutes: Route[] = [
  defineRoute('GET', '/models/:name/download-uris', 'getDownloadUris', async ({ input, app, req }) =>
    downloadUris(app.db, app.storage, app.config, baseUrl(app, req), input.name, {
      version: input.version,
      semver: input.semver,
      range: input.range,
      alias: input.alias,
      stage: input.stage,
    }),
  ),
];

/**
 * `GET /api/downloads/<name>/<version>/<path>?expires=&signature=`: outside the endpoint table on purpose,
 * because it takes no token (the signature is the credential; the auth middleware lets
 * `isSignedDownloadPath` through) and answers bytes, not JSON.
 */
export function signedDownloadRouter(app: AppContext): Router {
  const router = Router({ caseSensitive: true, strict: true });
  router.get('/downloads/:name/:version/*path', async (req: Request, res: Response) => {
    const { expires, signature } = req.query as Record<string, unknown>;
    const segments = (req.params as Record<string, unknown>).path;
    const path = Array.isArray(segments) ? segments.join('/') : String(segments ?? '');
    const key = await resolveSignedDownload(app.db, app.config, {
      name: String(req.params.name),
      version: String(req.params.version),
      path,
      expires: typeof expires === 'string' ? expires : '',
      signature: typeof signature === 'string' ? signature : '',
    });
    const { stream, size } = await app.storage.get(key);
    const hash = crypto.createHash('sha256');
    res.status(200);
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader(
      'Content-Disposition',
      `attachment; filename="${encodeURIComponent(path.split('/').pop() ?? 'file')}"`,
    );
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'private, no-store');
    // The size for progress bars; the body is chunked so the sha256 can follow as a trailer, computed from
    // the very bytes sent (`semreg get` verifies it).
    res.setHeader('X-File-Size', String(size));
    res.setHeader('Trailer', 'X-Checksum-Sha256');
    await pipeline(
      stream,
      new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          done(null, chunk);
        },
        flush(done) {
          res.addTrailers({ 'X-Checksum-Sha256': hash.digest('hex') });
          done();
        },
      }),
      res,
    );
  });
  return router;
}
