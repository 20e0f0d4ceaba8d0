import type { Request, Response } from 'express';
import { Router } from 'express';
import type { AppContext } from '../app-context';
import { artifactUriToKey, keyUnder } from '../artifacts/artifact-uri';
import { invalidParameter, missingParameter, MlflowError, notFound } from '../errors';
import { getModelVersionDownloadUri } from '../registry/model-versions';
import { findLoggedModelArtifactUri } from '../tracking/logged-models';
import { findRunArtifactUri } from '../tracking/runs';
import { storeFile } from '../storage/stored-files';
import { byModel, declare, tracking } from './access';
import { sendArtifact } from './artifact-download';
import { queryString, rawRoute } from './raw-handler';
import { requireStorageRead } from './storage-access';
import { declaredLength, uploadBody } from './upload-body';

/**
 * The web UI's download routes (mlflow-compat.md §3.10): `/get-artifact?run_uuid=&path=`,
 * `/model-versions/get-artifact?name=&version=&path=` and, for MLflow 3's logged-model file preview,
 * `/ajax-api/2.0/mlflow/logged-models/<id>/artifacts/files?artifact_file_path=` (the reference serves it under
 * /ajax-api only). Classic traversal targets: the path goes through the path guard on its own before it is
 * joined to the run's, version's or logged model's root, and the root itself must be one of our own
 * `mlflow-artifacts:` locations.
 */
function required(req: Request, name: string): string {
  const value = queryString(req, name);
  if (value === undefined || value === '') throw missingParameter(name);
  return value;
}

/** The file is read where it is, so the owner of that location is authorized too (storage-access.ts). */
async function sendAuthorized(req: Request, res: Response, app: AppContext, key: string): Promise<void> {
  await requireStorageRead(req, app, key);
  await sendArtifact(req, res, app, key);
}

async function runArtifact(req: Request, res: Response, app: AppContext): Promise<void> {
  const runId = queryString(req, 'run_id') || required(req, 'run_uuid');
  const rel = required(req, 'path');
  const key = keyUnder('', rel);
  const runUri = await findRunArtifactUri(app.db, runId);
  if (!runUri) throw notFound(`Run with id=${runId} not found`);
  await sendAuthorized(req, res, app, keyUnder(await artifactUriToKey(app.db, runUri), key));
}

/** A version's `source` may name another model's version: its files are that model's to authorize. */
async function modelVersionArtifact(req: Request, res: Response, app: AppContext): Promise<void> {
  const name = required(req, 'name');
  const version = required(req, 'version');
  const key = keyUnder('', required(req, 'path'));
  const root = await artifactUriToKey(app.db, await getModelVersionDownloadUri(app.db, name, version));
  await sendAuthorized(req, res, app, keyUnder(root, key));
}

async function loggedModelArtifact(req: Request, res: Response, app: AppContext): Promise<void> {
  const path = queryString(req, 'artifact_file_path');
  // The reference's code and words for this case.
  if (!path)
    throw new MlflowError('BAD_REQUEST', 'Request must include the "artifact_file_path" query parameter.');
  const key = keyUnder('', path);
  const modelId = String(req.params.model_id);
  const logged = await findLoggedModelArtifactUri(app.db, modelId);
  if (!logged) throw notFound(`Logged model with id=${modelId} not found`);
  await sendAuthorized(req, res, app, keyUnder(await artifactUriToKey(app.db, logged.artifactUri), key));
}

/** The reference's cap on the web UI's upload (mlflow/server/handlers.py `upload_artifact_handler`). */
const MAX_UI_UPLOAD_BYTES = 10 * 1024 * 1024;
const UI_UPLOAD_TOO_LARGE = 'Artifact size is too large. Max size is 10MB.';

/**
 * `POST /ajax-api/2.0/mlflow/upload-artifact?run_uuid=&path=`: the web UI's upload of a small file into a
 * run's artifacts. The reference's checks, order and words (run_uuid, path, path guard, size, data); the
 * raw body then streams through the same store as the proxy PUT, its size and sha256 recorded, and a
 * body past 10 MB is cut off while it arrives.
 */
async function uploadRunArtifact(req: Request, res: Response, app: AppContext): Promise<void> {
  const runId = queryString(req, 'run_uuid');
  if (!runId) throw invalidParameter('Request must specify run_uuid.');
  const path = queryString(req, 'path');
  if (!path) throw invalidParameter('Request must specify path.');
  const rel = keyUnder('', path);
  if (rel === '') throw invalidParameter('Request must specify path.');
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > MAX_UI_UPLOAD_BYTES)
    throw invalidParameter(UI_UPLOAD_TOO_LARGE);
  if ((declared === undefined || Number(declared) === 0) && req.headers['transfer-encoding'] === undefined)
    throw invalidParameter('Request must specify data.');
  const runUri = await findRunArtifactUri(app.db, runId);
  if (!runUri) throw notFound(`Run with id=${runId} not found`);
  const key = keyUnder(await artifactUriToKey(app.db, runUri), rel);
  const { body, signal } = uploadBody(req);
  try {
    await storeFile(app, key, body, {
      maxBytes: Math.min(MAX_UI_UPLOAD_BYTES, app.config.maxArtifactBytes),
      declaredBytes: declaredLength(req.headers),
      signal,
      contentType: req.headers['content-type']?.slice(0, 200),
    });
  } catch (err) {
    if (err instanceof MlflowError && err.status === 413) throw invalidParameter(UI_UPLOAD_TOO_LARGE);
    throw err;
  }
  res.status(200).json({});
}

export function artifactUiRouter(app: AppContext): Router {
  const router = Router({ caseSensitive: true, strict: true });
  router.get('/get-artifact', declare(app, tracking), rawRoute(app, runArtifact));
  router.get(
    '/model-versions/get-artifact',
    declare(app, byModel('name')),
    rawRoute(app, modelVersionArtifact),
  );
  router.get(
    '/ajax-api/2.0/mlflow/logged-models/:model_id/artifacts/files',
    declare(app, tracking),
    rawRoute(app, loggedModelArtifact),
  );
  router.post(
    '/ajax-api/2.0/mlflow/upload-artifact',
    declare(app, tracking),
    rawRoute(app, uploadRunArtifact),
  );
  return router;
}
