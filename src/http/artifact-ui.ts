import type { Request, Response } from 'express';
import { Router } from 'express';
import type { AppContext } from '../app-context';
import { artifactUriToKey, keyUnder } from '../artifacts/artifact-uri';
import { missingParameter, notFound } from '../errors';
import { getModelVersionDownloadUri } from '../registry/model-versions';
import { findRunArtifactUri } from '../tracking/runs';
import { sendArtifact } from './artifact-download';
import { requireAccess } from './middleware/auth';
import { queryString, rawRoute } from './raw-handler';

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

async function runArtifact(req: Request, res: Response, app: AppContext): Promise<void> {
  requireAccess(req, app, { scope: 'read' });
  const runId = queryString(req, 'run_id') || required(req, 'run_uuid');
  const rel = required(req, 'path');
  const key = keyUnder('', rel);
  const runUri = await findRunArtifactUri(app.db, runId);
  if (!runUri) throw notFound(`Run with id=${runId} not found`);
  await sendArtifact(req, res, app.storage, keyUnder(await artifactUriToKey(app.db, runUri), key));
}

async function modelVersionArtifact(req: Request, res: Response, app: AppContext): Promise<void> {
  const name = required(req, 'name');
  requireAccess(req, app, { scope: 'read', models: [name] });
  const version = required(req, 'version');
  const key = keyUnder('', required(req, 'path'));
  const root = await artifactUriToKey(app.db, await getModelVersionDownloadUri(app.db, name, version));
  await sendArtifact(req, res, app.storage, keyUnder(root, key));
}

export function artifactUiRouter(app: AppContext): Router {
  const router = Router({ caseSensitive: true, strict: true });
  router.get('/get-artifact', rawRoute(app, runArtifact));
  router.get('/model-versions/get-artifact', rawRoute(app, modelVersionArtifact));
  return router;
}
