import type { Request, Response, Router } from 'express';
import type { operations } from '../generated/openapi';
import type { AppContext } from '../app-context';
import { authorizeRoute, markDeclared, noteRouteTemplate, RouteAccess } from './access';
import { nonFiniteAsString } from './json';
import { ValidatorRegistry } from './validation';

/**
 * One entry of an endpoint table: `{method, path, operationId, handler}`. The handler receives input that
 * ajv has already validated against the operation's OpenAPI schema and returns the JSON object to send
 * with status 200 (MLflow's client treats 201/204 as errors, mlflow-compat.md §1.4).
 */
export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';
export type OperationId = keyof operations;

type JsonBody<T> = T extends { content: { 'application/json': infer B } } ? B : never;
type BodyOf<Op extends OperationId> = operations[Op] extends { requestBody?: infer R }
  ? JsonBody<NonNullable<R>>
  : never;
type QueryOf<Op extends OperationId> = operations[Op] extends { parameters: { query?: infer Q } }
  ? NonNullable<Q>
  : never;
type PathOf<Op extends OperationId> = operations[Op] extends { parameters: { path?: infer P } }
  ? NonNullable<P>
  : never;
export type InputOf<Op extends OperationId> = ([BodyOf<Op>] extends [never] ? unknown : BodyOf<Op>) &
  ([QueryOf<Op>] extends [never] ? unknown : QueryOf<Op>) &
  ([PathOf<Op>] extends [never] ? unknown : PathOf<Op>);
export type OutputOf<Op extends OperationId> = operations[Op] extends {
  responses: { 200: { content: { 'application/json': infer R } } };
}
  ? R
  : Record<string, never>;

export interface RouteContext<Input> {
  input: Input;
  app: AppContext;
  req: Request;
  res: Response;
}

export interface Route<Op extends OperationId = OperationId> {
  method: HttpMethod;
  path: string;
  operationId: Op;
  handler: (ctx: RouteContext<InputOf<Op>>) => Promise<OutputOf<Op>>;
  /** What the route touches (`access.ts`): checked on the validated input before the handler runs. */
  access: RouteAccess;
}

export function defineRoute<Op extends OperationId>(
  method: HttpMethod,
  path: string,
  operationId: Op,
  access: RouteAccess,
  handler: (ctx: RouteContext<InputOf<Op>>) => Promise<OutputOf<Op>>,
): Route {
  return { method, path, operationId, access, handler } as unknown as Route;
}

/** MLflow treats an absent field and a `null` one the same (mlflow-compat.md §1.3). */
function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== null)
        .map(([k, v]) => [k, dropNulls(v)]),
    );
  }
  return value;
}

/**
 * The answer's JSON, written directly: Express's `res.json` also hashes the body for an ETag and parses its own
 * Content-Type back, which no API client uses (MLflow's sends no If-None-Match).
 */
function sendJson(res: Response, output: unknown): void {
  const body = JSON.stringify(output, nonFiniteAsString);
  res.statusCode = 200;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

/** Mounts every route of a table on `router`, validating input with the operation's schema first. */
export function mountRoutes(
  router: Router,
  routes: readonly Route[],
  app: AppContext,
  validators: ValidatorRegistry,
): void {
  for (const route of routes) {
    const validator = validators.get(route.operationId);
    const method = route.method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete' | 'put';
    const handle = async (req: Request, res: Response) => {
      noteRouteTemplate(req, res);
      const query = { ...(req.query as Record<string, unknown>) };
      validator.query(query);
      // DELETE RPCs carry JSON bodies; the same fields are also accepted from the query string (§1.3).
      const sent = route.method === 'DELETE' ? { ...query, ...(req.body ?? {}) } : (req.body ?? {});
      const body = dropNulls(sent) as Record<string, unknown>;
      validator.body(body, req.rawJsonBody);
      const input = { ...query, ...body, ...req.params } as never;
      authorizeRoute(req, app, route.access, input);
      const output = await route.handler({ input, app, req, res });
      if (!res.headersSent) sendJson(res, output ?? {});
    };
    router[method](route.path, markDeclared(handle, route.access));
  }
}
