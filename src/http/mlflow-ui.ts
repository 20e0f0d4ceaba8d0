import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { AppContext } from '../app-context';
import { MlflowError } from '../errors';
import { normaliseRelativePath, resolveSafePath } from '../storage/safe-path';
import { declare, open } from './access';

/**
 * MLflow's own web UI, from the user's MLflow installation (its wheel ships the built React app in
 * `mlflow/server/js/build`; nothing of it is in this repository), served at `/mlflow/` because semreg's own
 * UI has `/` (docs/tracking.md "MLflow's web UI").
 *
 * The bundle addresses everything relative to its page, as the reference server serves it with a static
 * prefix: its files as `static-files/<file>`, its API calls as `ajax-api/…`, `graphql`, `get-artifact`,
 * `model-versions/get-artifact`. So `/mlflow/static-files/*` are its files, `/mlflow/` is its page, and any
 * other path under `/mlflow/` is the same path without the prefix, answered by the rest of the app with the
 * same authentication and validation as when called directly.
 *
 * The page and its files are public (like semreg's own UI and any login page); every byte of data comes from
 * the API with the user's credentials (with AUTH=on the browser asks for them: a token as the Basic password).
 */
export const MLFLOW_UI_PREFIX = '/mlflow';
const FILES = `${MLFLOW_UI_PREFIX}/static-files`;

/** Where `python3`'s mlflow package keeps its built UI; found without importing mlflow (which takes seconds). */
const FIND_UI = [
  '-c',
  "import importlib.util as u, os; s = u.find_spec('mlflow'); " +
    "print(os.path.join(s.submodule_search_locations[0], 'server', 'js', 'build') if s else '')",
];

function isFile(file: string): boolean {
  return fs.statSync(file, { throwIfNoEntry: false })?.isFile() ?? false;
}

function hasIndex(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'index.html'));
}

function detectUiDir(app: AppContext): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('python3', FIND_UI, { timeout: 15000 }, (err, stdout) => {
      const dir = err ? '' : stdout.trim();
      if (dir && hasIndex(dir)) {
        resolve(serving(app, dir));
      } else {
        app.log.info(`no MLflow installation found for python3: ${MLFLOW_UI_PREFIX}/ is off (MLFLOW_UI_DIR)`);
        resolve(undefined);
      }
    });
  });
}

function serving(app: AppContext, dir: string): string {
  app.log.info({ dir }, `serving MLflow's web UI from ${dir} at ${MLFLOW_UI_PREFIX}/`);
  return dir;
}

function configuredDir(app: AppContext, dir: string): string | undefined {
  if (hasIndex(dir)) return serving(app, dir);
  app.log.warn(`MLFLOW_UI_DIR=${dir} has no index.html: ${MLFLOW_UI_PREFIX}/ is off`);
  return undefined;
}

const found = new WeakMap<AppContext, Promise<string | undefined>>();

/**
 * The UI folder: MLFLOW_UI_DIR, else looked up once with `python3` and logged. `npm start` asks at start
 * (src/main.ts), so the log says where the UI comes from; apps built by tests look only when visited.
 */
export function mlflowUiDir(app: AppContext): Promise<string | undefined> {
  const configured = app.config.mlflowUiDir;
  if (configured === 'off') return Promise.resolve(undefined);
  let dir = found.get(app);
  if (!dir) {
    dir = configured === undefined ? detectUiDir(app) : Promise.resolve(configuredDir(app, configured));
    found.set(app, dir);
  }
  return dir;
}

function notInstalled(): MlflowError {
  return new MlflowError(
    'ENDPOINT_NOT_FOUND',
    "MLflow's web UI is not installed here: pip install mlflow, or set MLFLOW_UI_DIR=<site-packages>/mlflow/server/js/build.",
  );
}

/** Takes `/mlflow` off the API paths the UI calls, so the app's own routes answer them. */
function stripPrefix(req: Request, _res: Response, next: NextFunction): void {
  if (req.url.startsWith(`${MLFLOW_UI_PREFIX}/`) && !req.url.startsWith(`${FILES}/`)) {
    const rest = req.url.slice(MLFLOW_UI_PREFIX.length);
    if (!/^\/(?:[?#]|$)/.test(rest)) req.url = rest;
  }
  next();
}

export function mlflowUiRoutes(app: AppContext): RequestHandler[] {
  const uiDir = () => mlflowUiDir(app);
  const router = Router({ caseSensitive: true, strict: true });
  const publicFile = declare(app, open);

  router.get(MLFLOW_UI_PREFIX, publicFile, (req, res) => {
    const query = req.url.slice(MLFLOW_UI_PREFIX.length);
    res.redirect(301, `${MLFLOW_UI_PREFIX}/${query}`);
  });
  router.get(`${MLFLOW_UI_PREFIX}/`, publicFile, async (_req, res) => {
    const dir = await uiDir();
    if (!dir) throw notInstalled();
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile('index.html', { root: dir });
  });
  router.get(`${FILES}/*path`, publicFile, async (req, res) => {
    const dir = await uiDir();
    if (!dir) throw notInstalled();
    const rel = normaliseRelativePath((req.params as { path: string[] }).path.join('/'));
    if (rel.split('/').some((segment) => segment.startsWith('.')) || !isFile(resolveSafePath(dir, rel)))
      throw new MlflowError('ENDPOINT_NOT_FOUND', `No file ${req.path.slice(0, 200)} in MLflow's web UI.`);
    // Bundles carry a content hash in their names; the other files are small and may change with MLflow.
    const hashed = /^static\/(?:js|css|media)\//.test(rel);
    res.setHeader('Cache-Control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
    // `root` keeps send's own checks on the relative part only: the installation may sit in a dot folder.
    res.sendFile(rel, { root: dir });
  });
  return [router, stripPrefix];
}
