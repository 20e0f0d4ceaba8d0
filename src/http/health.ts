import { Router } from 'express';
import type { AppContext } from '../app-context';
import { loadOpenApiDocument } from '../openapi';
import { SEMREG_VERSION } from '../version';

/**
 * Probes and the schema. `/version` is plain text below 3.4 on purpose: MLflow's client reads it only to
 * decide whether to upload OTLP spans to `/v1/traces`, which semreg does not serve (mlflow-compat.md §3.10).
 */
export function healthRoutes(app: AppContext): Router {
  const router = Router({ caseSensitive: true, strict: true });
  router.get('/health', async (_req, res) => {
    try {
      await app.db.raw('SELECT 1').timeout(3000);
      res.type('text/plain').send('OK');
    } catch {
      res.status(503).type('text/plain').send('database unavailable');
    }
  });
  router.get('/version', (_req, res) => {
    res.type('text/plain').send(SEMREG_VERSION);
  });
  router.get('/api/openapi.json', (_req, res) => {
    res.json(loadOpenApiDocument());
  });
  return router;
}
