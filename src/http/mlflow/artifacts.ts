import type { Request, RequestHandler, Response } from 'express';
import { Router } from 'express';
import type { AppContext } from '../../app-context';
import { toFileInfos } from '../../artifacts/listing';
import { invalidParameter, MlflowError } from '../../errors';
import { PACKAGE_ROOT } from '../../storage/key-space';
import { normaliseRelativePath } from '../../storage/safe-path';
import { deleteStoredTree, storeFile } from '../../storage/stored-files';
import { declare, needingAdmin, storage } from '../access';
import { sendArtifact } from '../artifact-download';
import { queryString, rawRoute, wildcardPath } from '../raw-handler';
import { declaredLengthWithin, uploadBody } from '../upload-body';
import { requireStorageList, requireStorageRead, visibleEntries } from '../storage-access';

/**
 * The `mlflow-artifacts` proxy (mlflow-compat.md §3.8), mounted under `/api/2.0/mlflow-artifacts` and
 * `/ajax-api/2.0/mlflow-artifacts`. Bodies are raw bytes of any content type (a `.json` file arrives as
 * text/plain), so no body parser runs here: the request streams straight into the store.
 */
const MULTIPART_DECLINED =
  'Multipart upload is not supported for the current artifact repository; upload the file with a single PUT.';

function artifactPath(req: Request): string {
  return normaliseRelativePath(wildcardPath(req));
}

/** Package files are written only through /api/packages (immutability, per-model authorization). */
function writablePath(req: Request): string {
  const key = artifactPath(req);
  if (key === '') throw invalidParameter('An artifact path is required.');
  if (key === PACKAGE_ROOT || key.startsWith(`${PACKAGE_ROOT}/`)) {
    throw new MlflowError(
      'PERMISSION_DENIED',
      `Package files cannot be changed through the artifact proxy; use /api/packages.`,
    );
  }
  return key;
}

/**
 * The body reaches the store through `uploadBody` (a 413 mid-stream leaves the socket for the JSON error; a
 * disconnect aborts the upload).
 */
async function uploadArtifact(req: Request, res: Response, app: AppContext): Promise<void> {
  const key = writablePath(req);
  const declaredBytes = declaredLengthWithin(req.headers, app.config.maxArtifactBytes);
  const { body, signal } = uploadBody(req);
  await storeFile(app, key, body, {
    maxBytes: app.config.maxArtifactBytes,
    declaredBytes,
    signal,
    contentType: req.headers['content-type']?.slice(0, 200),
  });
  res.status(200).json({});
}

async function downloadArtifact(req: Request, res: Response, app: AppContext): Promise<void> {
  const key = artifactPath(req);
  await requireStorageRead(req, app, key);
  await sendArtifact(req, res, app, key);
}

async function deleteArtifact(req: Request, res: Response, app: AppContext): Promise<void> {
  await deleteStoredTree(app, writablePath(req));
  res.status(200).json({});
}

/** Basenames of the direct children; a missing path or a file answers `{}`, as MLflow does. */
async function listArtifacts(req: Request, res: Response, app: AppContext): Promise<void> {
  const path = normaliseRelativePath(queryString(req, 'path') ?? '');
  await requireStorageList(req, app, path);
  const files = toFileInfos(await visibleEntries(req, app, path, await app.storage.list(path)));
  res.status(200).json(files.length > 0 ? { files } : {});
}

/**
 * The client asks for multipart uploads only with MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD and files ≥ 500 MB,
 * and falls back to a single PUT when the message starts with this exact text (§2.3). The path is still
 * validated first, so the endpoint is no traversal oracle.
 */
async function declineMultipart(req: Request): Promise<void> {
  writablePath(req);
  throw new MlflowError('NOT_IMPLEMENTED', MULTIPART_DECLINED);
}

/** Presigned downloads: 501 makes the client fall back to a proxied GET (§2.3). */
async function declinePresigned(req: Request, _res: Response, app: AppContext): Promise<void> {
  await requireStorageRead(req, app, artifactPath(req));
  throw new MlflowError('NOT_IMPLEMENTED', 'Presigned URLs are not supported by this artifact repository.');
}

export function mlflowArtifactsRouter(app: AppContext, jsonBody: RequestHandler): Router {
  const router = Router({ caseSensitive: true, strict: true });
  const access = declare(app, storage);
  router.put('/artifacts/*path', access, rawRoute(app, uploadArtifact));
  router.get('/artifacts/*path', access, rawRoute(app, downloadArtifact));
  // DELETE and the mpu calls carry no body or a JSON one (mpu/create sends {path, num_parts}): a body of any
  // other type is refused like on every JSON endpoint (CSRF defence, mlflow-compat.md §7). Deleting
  // artifacts needs more than the write scope (mlflow-compat.md §7).
  router.delete(
    '/artifacts/*path',
    declare(app, needingAdmin(storage)),
    jsonBody,
    rawRoute(app, deleteArtifact),
  );
  router.get('/artifacts', access, rawRoute(app, listArtifacts));
  for (const step of ['create', 'complete', 'abort'])
    router.post(`/mpu/${step}/*path`, access, jsonBody, rawRoute(app, declineMultipart));
  router.get('/presigned/*path', access, rawRoute(app, declinePresigned));
  return router;
}
