import { Router } from 'express';
import type { AppContext } from '../app-context';
import { loadOpenApiDocument } from '../openapi';
import { declare, open, server } from './access';
import { SEMREG_VERSION } from '../version';

/**
 * Probes and the schema. `/version` is plain text below 3.4 on purpose: MLflow's client reads it only to
 * decide whether to upload OTLP spans to `/v1/traces`, which semreg does not serve (mlflow-compat.md §3.10).
 */
export function healthRoutes(app: AppContext): Router {
  const router = Router({ caseSensitive: true, strict: true });
  const metadata = declare(app, server);
  router.get('/health', declare(app, open), async (_req, res) => {
    try {
      await app.db.raw('SELECT 1').timeout(3000);
      res.type('text/plain').send('OK');
    } catch {
      res.status(503).type('text/plain').send('database unavailable');
    }
  });
  router.get('/version', metadata, (_req, res) => {
    res.type('text/plain').send(SEMREG_VERSION);
  });
  // MLflow >= 3.12 probes this before artifact transfers; multipart stays off so the client keeps using
  // single proxied PUTs and GETs (a `multipart_*_enabled: true` would make it call presigned URLs).
  router.get('/api/3.0/mlflow/server-info', metadata, (_req, res) => {
    res.json({ store_type: null, workspaces_enabled: false });
  });
  router.get('/api/openapi.json', metadata, (_req, res) => {
    res.json(loadOpenApiDocument());
  });
  return router;
}
