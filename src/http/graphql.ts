import { Router, type NextFunction, type Request, type Response } from 'express';
import type { AppContext } from '../app-context';
import { authorizeScope } from '../auth/authorize';
import { invalidParameter, MlflowError } from '../errors';
import { createGraphqlContext } from '../graphql/context';
import { executeGraphqlRequest, type GraphqlRequest } from '../graphql/execute-request';
import { buildMlflowSchema } from '../graphql/schema';
import { filtered, markDeclared, noteRouteTemplate, readOnly } from './access';
import { authenticatedPrincipal } from './middleware/auth';
import { ByteBudget } from './middleware/byte-budget';
import { jsonBody } from './middleware/json-body';
import { ValidatorRegistry } from './validation';

/**
 * MLflow's GraphQL endpoint, which its web UI loads runs and experiments through: `POST /graphql` with a JSON
 * body `{query, variables, operationName}`, and `GET /graphql?query=…` (docs/tracking.md "GraphQL").
 *
 * Mounted before the app-wide `authenticate`, which asks a POST for write scope: every field of MLflow's
 * schema only reads, so a read token must be enough, as it is for the REST searches sent as POST. The
 * token is checked here by the same lookup `authenticate` uses (same credentials, same messages), with read scope.
 * Its own small body budget: a GraphQL document is a few KB, so it cannot take from the JSON endpoints'.
 */
const MAX_DOCUMENT_BYTES = 1024 * 1024;
const INFLIGHT_BYTES = 16 * MAX_DOCUMENT_BYTES;

async function authenticateReader(app: AppContext, req: Request): Promise<void> {
  if (!app.config.authEnabled) return;
  authorizeScope(await authenticatedPrincipal(app, req), 'read');
}

function refuseLargeDocument(req: Request, _res: Response, next: NextFunction): void {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > MAX_DOCUMENT_BYTES)
    return next(new MlflowError('INVALID_PARAMETER_VALUE', 'The GraphQL request is larger than 1 MiB.', 413));
  next();
}

/** The envelope, validated by the OpenAPI schemas of the two operations; GET carries `variables` as JSON text. */
function requestOf(req: Request, validators: ValidatorRegistry): GraphqlRequest {
  if (req.method !== 'GET') {
    const body = (req.body ?? {}) as Record<string, unknown>;
    validators.get('graphqlPost').body(body);
    return body as unknown as GraphqlRequest;
  }
  const query = { ...(req.query as Record<string, unknown>) };
  validators.get('graphqlGet').query(query);
  let variables: GraphqlRequest['variables'];
  if (typeof query.variables === 'string' && query.variables !== '') {
    try {
      variables = JSON.parse(query.variables) as GraphqlRequest['variables'];
    } catch {
      throw invalidParameter("Invalid value for parameter 'variables': it is not JSON.");
    }
    if (typeof variables !== 'object' || Array.isArray(variables))
      throw invalidParameter("Invalid value for parameter 'variables': expected a JSON object.");
  }
  return {
    query: query.query as string,
    variables,
    operationName: query.operationName as string | undefined,
  };
}

export function graphqlRoutes(app: AppContext): Router {
  const router = Router({ caseSensitive: true, strict: true });
  const schema = buildMlflowSchema();
  const validators = new ValidatorRegistry();
  const limits = { maxRootFields: app.config.graphqlMaxRootFields, maxAliases: app.config.graphqlMaxAliases };
  const body = jsonBody({
    budget: new ByteBudget(INFLIGHT_BYTES),
    idleTimeoutMs: app.config.bodyIdleTimeoutMs,
  });

  const authenticated = markDeclared(async (req: Request, res: Response, next: NextFunction) => {
    noteRouteTemplate(req, res);
    await authenticateReader(app, req);
    next();
  }, readOnly(filtered));
  const answer = async (req: Request, res: Response) => {
    const request = requestOf(req, validators);
    const ctx = createGraphqlContext(app, req, validators);
    res.status(200).json(await executeGraphqlRequest(schema, limits, request, ctx));
  };
  // `all` first: the token is checked for every method, OPTIONS included (which the router answers itself).
  router.route('/graphql').all(authenticated).get(answer).post(refuseLargeDocument, body, answer);
  return router;
}
