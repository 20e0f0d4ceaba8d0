import { Router } from 'express';
import type { AppContext } from '../app-context';
import { pendingMigrations } from '../db/migrate';
import type { Metrics } from '../metrics/metrics';
import { loadOpenApiDocument } from '../openapi';
import { firstLine } from '../startup/startup-failure';
import { declare, open, server } from './access';
import { SEMREG_VERSION } from '../version';

interface Check {
  name: string;
  error?: string;
}

async function check(name: string, probe: () => Promise<unknown>): Promise<Check> {
  try {
    await probe();
    return { name };
  } catch (err) {
    return { name, error: firstLine(err) };
  }
}

/** `/ready`: what a load balancer must know before sending traffic (`/health` stays liveness). */
async function readiness(app: AppContext): Promise<Check[]> {
  return Promise.all([
    check('database', () => app.db.raw('SELECT 1').timeout(3000)),
    check('migrations', async () => {
      const pending = await pendingMigrations(app.db);
      if (pending.length > 0) throw new Error(`not applied yet: ${pending.join(', ')}`);
    }),
    check('artifact_store', () => app.storage.probe()),
  ]);
}

/**
 * Probes, metrics and the schema. `/version` is plain text below 3.4 on purpose: MLflow's client reads it only to
 * decide whether to upload OTLP spans to `/v1/traces`, which semreg does not serve (mlflow-compat.md §3.10).
 */
export function healthRoutes(app: AppContext, metrics: Metrics): Router {
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
  router.get('/ready', declare(app, open), async (req, res) => {
    const checks = await readiness(app);
    // A stopping server finishes its requests but takes no new ones: balancers must move on.
    const draining = req.app.locals.draining === true;
    const ready = !draining && checks.every((c) => c.error === undefined);
    // The probe is open: it names the failing check, the reason goes to the log only.
    for (const c of checks) if (c.error) app.log.warn({ check: c.name, reason: c.error }, 'not ready');
    res.status(ready ? 200 : 503).json({
      status: draining ? 'draining' : ready ? 'ready' : 'unavailable',
      checks: Object.fromEntries(checks.map((c) => [c.name, c.error === undefined ? 'ok' : 'failing'])),
    });
  });
  // With METRICS_PORT set the metrics are served there instead, on loopback and without a token.
  if (!app.config.metricsPort) {
    router.get('/metrics', metadata, async (_req, res) => {
      res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    });
  }
  router.get('/version', metadata, (_req, res) => {
    res.type('text/plain').send(SEMREG_VERSION);
  });
  // MLflow >= 3.12 probes this before artifact transfers; multipart stays off so the client keeps using
  // single proxied PUTs and GETs (a `multipart_*_enabled: true` would make it call presigned URLs).
  // The web UI asks the same under /ajax-api/3.0 (every /api/3.0 route has that mirror in the reference).
  for (const prefix of ['/api/3.0/mlflow', '/ajax-api/3.0/mlflow']) {
    router.get(`${prefix}/server-info`, metadata, (_req, res) => {
      res.json({ store_type: null, workspaces_enabled: false });
    });
  }
  router.get('/api/openapi.json', metadata, (_req, res) => {
    res.json(loadOpenApiDocument());
  });
  return router;
}
