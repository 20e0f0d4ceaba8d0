import { MlflowError } from '../errors';
import { modelAllowed } from './model-pattern';
import type { Principal } from './principal';
import { Scope, scopeIncludes } from './scope';

/**
 * The one authorization rule. `models` lists the registered-model names the call touches; `undefined`
 * means the route does not say which model it touches. A token restricted to model patterns is then
 * refused for writes (deny by default: a new route cannot become a way around the restriction), while
 * reads stay allowed so the MLflow client can still resolve experiments, runs and artifacts.
 */
export interface AccessRequest {
  scope: Scope;
  models?: readonly string[];
}

export function permissionDenied(message: string): MlflowError {
  return new MlflowError('PERMISSION_DENIED', message);
}

export function authorizeScope(principal: Principal, scope: Scope): void {
  if (!scopeIncludes(principal.scope, scope)) {
    throw permissionDenied(
      `This call needs a token with scope '${scope}'; the token has scope '${principal.scope}'.`,
    );
  }
}

export function authorize(principal: Principal, request: AccessRequest): void {
  authorizeScope(principal, request.scope);
  if (principal.models.length === 0) return;
  if (request.models === undefined || request.models.length === 0) {
    if (request.scope === 'read') return;
    throw permissionDenied(
      'This token is restricted to models; this call does not name a model it may change.',
    );
  }
  const outside = request.models.find((name) => !modelAllowed(principal.models, name));
  if (outside !== undefined) {
    throw permissionDenied(
      `This token may not access model '${outside.slice(0, 256)}' (allowed: ${principal.models.join(', ')}).`,
    );
  }
}

/** `authorize` as a yes/no answer. */
export function isAuthorized(principal: Principal, request: AccessRequest): boolean {
  try {
    authorize(principal, request);
    return true;
  } catch (err) {
    if (err instanceof MlflowError && err.errorCode === 'PERMISSION_DENIED') return false;
    throw err;
  }
}
