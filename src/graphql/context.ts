import type { Request } from 'express';
import type { AppContext } from '../app-context';
import { requireAccess } from '../http/middleware/auth';
import type { OperationId } from '../http/route';
import type { ValidatorRegistry } from '../http/validation';
import { RunModelVersions } from './run-model-versions';

/** What every resolver of one GraphQL request reaches: the app, the caller, and per-request caches. */
export interface GraphqlContext {
  readonly app: AppContext;
  readonly req: Request;
  readonly validators: ValidatorRegistry;
  readonly runModelVersions: RunModelVersions;
  readonly experiments: Map<string, Promise<unknown>>;
}

export function createGraphqlContext(
  app: AppContext,
  req: Request,
  validators: ValidatorRegistry,
): GraphqlContext {
  return {
    app,
    req,
    validators,
    runModelVersions: new RunModelVersions(app.db, visibleModels(req)),
    experiments: new Map(),
  };
}

/** A model-restricted token's patterns; empty (every model) for unrestricted tokens and with AUTH=off. */
export function visibleModels(req: Request): readonly string[] {
  return req.principal?.models ?? [];
}

/**
 * Every field of MLflow's schema reads (the two "mutations" are searches), so every resolver needs the read
 * scope, as the REST route it mirrors does; model-restricted tokens see only their models' versions, which
 * the searches filter with `visibleModels`. The HTTP layer already refused requests without a valid token.
 */
export function requireRead(ctx: GraphqlContext): void {
  requireAccess(ctx.req, ctx.app, { scope: 'read' });
}

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/**
 * A GraphQL `input` as the REST route `operationId` receives it (snake_case keys, unset fields left out),
 * validated by the same OpenAPI validator, so both doors refuse the same inputs with the same messages.
 * GET routes get their values as a query string would carry them (numbers as decimal text).
 */
export function restInput(
  ctx: GraphqlContext,
  operationId: OperationId,
  carrier: 'query' | 'body',
  input: Record<string, unknown> | null | undefined,
): Record<string, unknown> {
  const fromQuery = carrier === 'query';
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input ?? {})) {
    if (value === null || value === undefined) continue;
    rest[snakeCase(key)] = fromQuery && typeof value === 'number' ? String(value) : value;
  }
  const validator = ctx.validators.get(operationId);
  if (fromQuery) validator.query(rest);
  else validator.body(rest);
  return rest;
}
