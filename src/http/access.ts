import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { AppContext } from '../app-context';
import { Scope, scopeForMethod } from '../auth/scope';
import type { DeleteOptions } from '../packages/delete';
import { mayAccess, requireAccess } from './middleware/auth';

/**
 * Authorization, declared where each route is defined: every route names the resource it touches, and a
 * test walks the app's routes and fails for any route without a declaration (test/security/
 * route-declarations.test.ts), so a new route cannot forget it. The declaration is enforced, not decorative:
 * endpoint-table routes run `authorizeRoute` on their validated input, raw routes (streams, uploads) put
 * `declare(...)` first in their handler list. Handlers that resolve a storage location check its owner
 * on top (`storage-access.ts`).
 */
export type Resource =
  /** Registered models named by these input fields (path, query or body), checked against model patterns. */
  | { kind: 'model'; fields: readonly string[] }
  /** Experiments, runs, metrics, logged models: no registered model owns them, the scope decides. */
  | { kind: 'tracking' }
  /** A path of the artifact store: the handler authorizes the owner of the key it reads (package → model). */
  | { kind: 'storage' }
  /** A listing whose results are filtered to the models the token may read (searches, history, CI jobs). */
  | { kind: 'filtered' }
  /** Tokens, webhooks, stage policy: registry-wide, admin scope. */
  | { kind: 'admin' }
  /** Server metadata (`/version`, `server-info`, the OpenAPI document): any valid token. */
  | { kind: 'server' }
  /** No token: the liveness probe, and signed download links (the signature is the credential). */
  | { kind: 'open' };

export interface RouteAccess {
  readonly resource: Resource;
  /** The scope when the HTTP method does not tell (read for POST searches); never less than the method's. */
  readonly scope?: Scope;
}

export const byModel = (...fields: string[]): RouteAccess => ({ resource: { kind: 'model', fields } });
export const tracking: RouteAccess = { resource: { kind: 'tracking' } };
export const storage: RouteAccess = { resource: { kind: 'storage' } };
export const filtered: RouteAccess = { resource: { kind: 'filtered' } };
export const adminOnly: RouteAccess = { resource: { kind: 'admin' }, scope: 'admin' };
export const server: RouteAccess = { resource: { kind: 'server' } };
export const open: RouteAccess = { resource: { kind: 'open' } };

/** A POST RPC that only reads (searches, get-latest-versions, which `load_model` calls): read scope. */
export const readOnly = (access: RouteAccess): RouteAccess => ({ ...access, scope: 'read' });
/** A route that needs more than its method's scope (deletes of stored bytes). */
export const needingAdmin = (access: RouteAccess): RouteAccess => ({ ...access, scope: 'admin' });

/**
 * What a delete RPC passes to the package deletion service: the caller (for the audit), and whether package
 * files may go with the version — admin scope on that model, on every route (issue 17 item 6).
 */
export function deletionBy(req: Request, app: AppContext, model: string): DeleteOptions {
  return {
    actor: req.principal?.tokenId,
    mayDeletePackages: mayAccess(req, app, { scope: 'admin', models: [model] }),
  };
}

/** Handlers carrying a declaration, for the route enumeration test. */
const declarations = new WeakMap<object, RouteAccess>();

export function declarationOf(handler: unknown): RouteAccess | undefined {
  return typeof handler === 'function' ? declarations.get(handler) : undefined;
}

/**
 * Remembers the matched route's template (`/api/2.0/mlflow/registered-models/get`, `/api/packages/:name/…`)
 * while the router's base path is still set, for the request metrics: a label is never the raw path.
 */
export function noteRouteTemplate(req: Request, res: Response): void {
  if (req.route) res.locals.routeTemplate ??= `${req.baseUrl}${String(req.route.path)}`;
}

export function markDeclared<T extends object>(handler: T, access: RouteAccess): T {
  declarations.set(handler, access);
  return handler;
}

function namedModels(access: RouteAccess, input: Record<string, unknown>): string[] | undefined {
  if (access.resource.kind !== 'model') return undefined;
  const names = access.resource.fields
    .map((field) => input[field])
    .filter((value): value is string => typeof value === 'string');
  return names.length > 0 ? names : undefined;
}

/** Checks the token against a declaration and the request's input; a no-op with AUTH=off or for open routes. */
export function authorizeRoute(
  req: Request,
  app: AppContext,
  access: RouteAccess,
  input: Record<string, unknown>,
): void {
  if (!app.config.authEnabled || access.resource.kind === 'open') return;
  const scope = access.scope ?? scopeForMethod(req.method);
  requireAccess(req, app, { scope, models: namedModels(access, input) });
}

/**
 * The first handler of a raw route: declares what it touches and enforces it before the body is read.
 * Model names come from the route's path parameters (or the query string).
 */
export function declare(app: AppContext, access: RouteAccess): RequestHandler {
  return markDeclared((req: Request, res: Response, next: NextFunction) => {
    noteRouteTemplate(req, res);
    authorizeRoute(req, app, access, {
      ...(req.query as Record<string, unknown>),
      ...(req.params as Record<string, unknown>),
    });
    next();
  }, access);
}
