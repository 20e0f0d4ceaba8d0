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

/** Why an upload stored nothing, from how it ended: a few stable causes an operator can alert on. */
function uploadFailureCause(res: Response): string | undefined {
  if (!res.writableFinished) return 'interrupted';
  const status = res.statusCode;
  if (status < 400) return undefined;
  if (res.locals.digestMismatch) return 'checksum_mismatch';
  const causes: Record<number, string> = {
    401: 'unauthenticated',
    403: 'forbidden',
    408: 'timeout',
    409: 'conflict',
    413: 'too_large',
    503: 'store_unavailable',
    507: 'storage_full',
  };
  return causes[status] ?? (status >= 500 ? 'server_error' : 'invalid_request');
}

/**
 * Counts and times every request by route template and status class, the file bytes that artifact,
 * package and download routes move, and the uploads among them that failed, by cause. A request that fails before reaching a route (an unknown path, a body
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
      if (!family) return;
      const isUpload = req.method === 'PUT' || req.method === 'POST';
      const failure = isUpload ? uploadFailureCause(res) : undefined;
      if (failure) metrics.uploadFailures.inc({ family, cause: failure });
      if (res.statusCode >= 300) return;
      const uploaded = Number(req.headers['content-length'] ?? 0);
      const downloaded = Number(res.getHeader('content-length') ?? 0);
      if (isUpload) {
        if (uploaded > 0) metrics.transferredBytes.inc({ family, direction: 'upload' }, uploaded);
      } else if (req.method === 'GET' && downloaded > 0) {
        metrics.transferredBytes.inc({ family, direction: 'download' }, downloaded);
      }
    });
    next();
  };
}
