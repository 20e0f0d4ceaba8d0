import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Metrics } from '../../metrics/metrics';

/** Routes whose bodies are files, counted in bytes by family. */
const FAMILIES: [RegExp, string][] = [
  [/^\/(ajax-)?api\/2\.0\/mlflow-artifacts\//, 'artifacts'],
  [
    /^\/(ajax-)?api\/2\.0\/mlflow\/(model-versions\/)?get-artifact$|^\/get-artifact$|^\/model-versions\/get-artifact$/,
    'artifacts',
  ],
  [/^\/api\/packages\//, 'packages'],
  [/^\/api\/downloads\//, 'downloads'],
];

function familyOf(route: string): string | undefined {
  return FAMILIES.find(([pattern]) => pattern.test(route))?.[1];
}

/**
 * Counts and times every request by route template and status class, and the file bytes that artifact,
 * package and download routes move. A request that fails before reaching a route (an unknown path, a body
 * that is not JSON) is labelled `unmatched`.
 */
export function requestMetrics(metrics: Metrics): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    metrics.httpInFlight.inc();
    const started = performance.now();
    // 'close' comes for completed and for aborted answers alike.
    res.once('close', () => {
      metrics.httpInFlight.dec();
      const route = (res.locals.routeTemplate as string | undefined) ?? 'unmatched';
      const labels = { method: req.method, route, status_class: `${Math.floor(res.statusCode / 100)}xx` };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, (performance.now() - started) / 1000);
      const family = familyOf(route);
      if (!family || res.statusCode >= 300) return;
      const uploaded = Number(req.headers['content-length'] ?? 0);
      const downloaded = Number(res.getHeader('content-length') ?? 0);
      if (req.method === 'PUT' || req.method === 'POST') {
        if (uploaded > 0) metrics.transferredBytes.inc({ family, direction: 'upload' }, uploaded);
      } else if (req.method === 'GET' && downloaded > 0) {
        metrics.transferredBytes.inc({ family, direction: 'download' }, downloaded);
      }
    });
    next();
  };
}
