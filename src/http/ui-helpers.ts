import { Router, type RequestHandler } from 'express';
import type { AppContext } from '../app-context';
import { declare, server } from './access';

/**
 * What MLflow's web UI asks about features semreg does not have — the assistant, the AI gateway, UI
 * telemetry — answered as the reference server answers with those features off (measured against
 * `mlflow server` 3.17.2 with telemetry disabled), so the UI hides them instead of showing error banners.
 * Telemetry records the UI posts are read and dropped: nothing leaves the server.
 */
export function uiHelperRoutes(app: AppContext, json: RequestHandler): Router {
  const router = Router({ caseSensitive: true, strict: true });
  const metadata = declare(app, server);
  router.get('/ajax-api/3.0/mlflow/assistant/config', metadata, (_req, res) => {
    res.json({ providers: {}, projects: {}, remote_access_allowed: false });
  });
  router.get('/ajax-api/3.0/mlflow/assistant/providers', metadata, (_req, res) => {
    res.json({ providers: [], resolved: null, gateway_vendor_options: {} });
  });
  router.get('/ajax-api/3.0/mlflow/ui-telemetry', metadata, (_req, res) => {
    res.json({ disable_ui_events: [], disable_ui_telemetry: true, ui_rollout_percentage: 0 });
  });
  router.post('/ajax-api/3.0/mlflow/ui-telemetry', metadata, json, (_req, res) => {
    res.json({ status: 'disabled' });
  });
  // The reference pretends an empty gateway is running when MLFLOW_DEPLOYMENTS_TARGET is unset.
  router.get('/ajax-api/2.0/mlflow/gateway-proxy', metadata, (_req, res) => {
    res.json({ endpoints: [] });
  });
  router.post('/ajax-api/2.0/mlflow/gateway-proxy', metadata, json, (_req, res) => {
    res.json({ endpoints: [] });
  });
  return router;
}
