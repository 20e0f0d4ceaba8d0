import type { Request, Response } from 'express';
import { Router } from 'express';
import type { AppContext } from '../app-context';
import { artifactUriToKey, keyUnder } from '../artifacts/artifact-uri';
import { missingParameter, notFound } from '../errors';
import { getModelVersionDownloadUri } from '../registry/model-versions';
import { findRunArtifactUri } from '../tracking/runs';
import { byModel, declare, tracking } from './access';
import { sendArtifact } from './artifact-download';
import { queryString, rawRoute } from './raw-handler';
import { requireStorageRead } from './storage-access';

/**
 * The web UI's download routes at the server root (mlflow-compat.md §3.10): `/get-artifact?run_uuid=&path=`
 * and `/model-versions/get-artifact?name=&version=&path=`. Classic traversal targets: `path` goes through the
 * path guard on its own before it is joined to the run's or version's root, and the root itself must be one
 * of our own `mlflow-artifacts:` locations.
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

export function artifactUiRouter(app: AppContext): Router {
  const router = Router({ caseSensitive: true, strict: true });
  router.get('/get-artifact', declare(app, tracking), rawRoute(app, runArtifact));
  router.get(
    '/model-versions/get-artifact',
    declare(app, byModel('name')),
    rawRoute(app, modelVersionArtifact),
  );
  return router;
}
