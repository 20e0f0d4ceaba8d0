import type { NextFunction, Request, Response } from 'express';
import type { AppContext } from '../../app-context';
import { AccessRequest, authorize, authorizeScope, isAuthorized } from '../../auth/authorize';
import { presentedSecret, unauthenticated } from '../../auth/credentials';
import type { Principal } from '../../auth/principal';
import { scopeForMethod } from '../../auth/scope';
import { authenticateSecret } from '../../auth/tokens';
import { isSignedDownloadPath } from '../../lifecycle/download-links';

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by `authenticate` when AUTH=on; undefined when auth is off. */
    principal?: Principal;
  }
}

/**
 * Mount points whose handlers name the model every write touches (MLflow endpoint-table routes declare
 * `access.modelFields`, see `authorizeRoute`; package routes carry the model in the path). A model-restricted
 * token's write to any other path is refused before routing, so a router that forgets to check cannot be
 * used to get around the restriction (deny by default, mlflow-compat.md §7).
 */
const MODEL_CHECKING_PREFIXES = [
  '/api/2.0/mlflow/',
  '/ajax-api/2.0/mlflow/',
  '/api/packages/',
  '/api/v4/projects/',
  // promote, rollback, download-uris: lifecycle routes that declare their model with namingModelIn
  '/api/models/',
];

/**
 * Under these prefixes every route is an endpoint-table route, and `mountRoutes` always runs
 * `authorizeRoute`, which knows the operation: some POST RPCs only read (runs/search,
 * get-latest-versions, which `load_model("models:/m/Production")` calls), so the scope is decided there.
 */
const ENDPOINT_TABLE_PREFIXES = ['/api/2.0/mlflow/', '/ajax-api/2.0/mlflow/'];

/**
 * The liveness and readiness probes stay open (as with MLflow's basic-auth server; load balancers carry no
 * token, and `/ready` tells only which check fails, never why), and signed download links carry their
 * own credential (an expiring HMAC the handler checks in constant time before any lookup). Everything else
 * needs a token.
 */
function isOpen(req: Request): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  return req.path === '/health' || req.path === '/ready' || isSignedDownloadPath(req.path);
}

/** The token a request presents, checked: 401 when there is none or it is unknown, expired or revoked. */
export async function authenticatedPrincipal(app: AppContext, req: Request): Promise<Principal> {
  const secret = presentedSecret(req.headersDistinct);
  if (secret === undefined) {
    throw unauthenticated(
      'Authentication required: send a token as "Authorization: Bearer <token>" or as the Basic-auth password.',
    );
  }
  const principal = await authenticateSecret(app.db, secret);
  if (!principal) throw unauthenticated('The token is not valid (unknown, expired or revoked).');
  req.principal = principal;
  return principal;
}

/**
 * App-wide, before any router: with AUTH=on every request except `/health` must present a valid token
 * (unknown routes included, so 401 comes before 404, and path variants such as `/API/…`, `//…` or a
 * trailing `/` cannot dodge it), and the token's scope must cover the HTTP method.
 */
export function authenticate(app: AppContext) {
  return async (req: Request, _res: Response, next: NextFunction): Promise<void> => {
    if (!app.config.authEnabled || isOpen(req)) return next();
    const principal = await authenticatedPrincipal(app, req);
    const scope = scopeForMethod(req.method);
    if (ENDPOINT_TABLE_PREFIXES.some((prefix) => req.path.startsWith(prefix)))
      authorizeScope(principal, 'read');
    else if (MODEL_CHECKING_PREFIXES.some((prefix) => req.path.startsWith(prefix)))
      authorizeScope(principal, scope);
    else authorize(principal, { scope });
    next();
  };
}

/**
 * For handlers: refuses the call unless the token may do it. A no-op when auth is off. Handlers that touch
 * a model pass its name, so model-restricted tokens are checked against their patterns.
 */
export function requireAccess(req: Request, app: AppContext, request: AccessRequest): void {
  if (!app.config.authEnabled) return;
  if (!req.principal) throw unauthenticated('Authentication required.');
  authorize(req.principal, request);
}

/** Whether the token may do something, for handlers whose behaviour depends on it (e.g. deleting packages). */
export function mayAccess(req: Request, app: AppContext, request: AccessRequest): boolean {
  if (!app.config.authEnabled) return true;
  return req.principal !== undefined && isAuthorized(req.principal, request);
}
