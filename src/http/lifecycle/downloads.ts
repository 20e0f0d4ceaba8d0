import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../../app-context';
import { downloadUris, resolveSignedDownload, versionFiles } from '../../lifecycle/download-links';
import { byModel, declare, open } from '../access';
import { rawRoute, wildcardPath } from '../raw-handler';
import { defineRoute, Route } from '../route';
import { sendFile } from '../send-file';
import { requireStorageRead } from '../storage-access';

/** The base of absolute links: PUBLIC_URL when set, else the address the caller used (Host is guarded). */
function baseUrl(app: AppContext, req: Request): string {
  return app.config.publicUrl ?? `${req.protocol}://${req.get('host')}`;
}

/**
 * Signed download links (semreg-api.md "Signed download links"). A link is a credential that outlives the
 * request, so minting one authorizes the owner of the files it will serve: a version whose `source` names
 * another model's version hands out links only to a token that may read that model.
 */
export const downloadRoutes: Route[] = [
  defineRoute(
    'GET',
    '/models/:name/download-uris',
    'getDownloadUris',
    byModel('name'),
    async ({ input, app, req }) => {
      const found = await versionFiles(app.db, input.name, {
        version: input.version,
        semver: input.semver,
        range: input.range,
        alias: input.alias,
        stage: input.stage,
      });
      await requireStorageRead(req, app, found.prefix);
      return downloadUris(app.config, app.storage, baseUrl(app, req), found);
    },
  ),
];

/**
 * `GET|HEAD /api/downloads/<name>/<version>/<path>?model_id=&sha256=&expires=&signature=`: outside the
 * endpoint table on purpose, because it takes no token (the signature is the credential; the auth middleware
 * lets `isSignedDownloadPath` through) and answers bytes, not JSON.
 */
export function signedDownloadRouter(app: AppContext): Router {
  const router = Router({ caseSensitive: true, strict: true });
  const serve = async (req: Request, res: Response): Promise<void> => {
    const query = req.query as Record<string, unknown>;
    const path = wildcardPath(req);
    const file = await resolveSignedDownload(app.db, app.config, {
      name: String(req.params.name),
      version: String(req.params.version),
      path,
      model_id: query.model_id,
      sha256: query.sha256,
      expires: query.expires,
      signature: query.signature,
    });
    await sendFile(req, res, app, {
      key: file.key,
      size: file.size,
      lastModified: new Date(file.createdAt),
      sha256: file.sha256,
      type: 'binary',
      cacheControl: 'private, no-store',
    });
  };
  router.get('/downloads/:name/:version/*path', declare(app, open), rawRoute(app, serve));
  return router;
}
