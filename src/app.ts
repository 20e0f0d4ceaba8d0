import querystring from 'node:querystring';
import express, { Router } from 'express';
import type { AppContext } from './app-context';
import { artifactUiRouter } from './http/artifact-ui';
import { healthRoutes } from './http/health';
import { uiHelperRoutes } from './http/ui-helpers';
import { nonFiniteAsString } from './http/json';
import { mlflowRoutes } from './http/mlflow';
import { mlflowArtifactsRouter } from './http/mlflow/artifacts';
import { authenticate } from './http/middleware/auth';
import { endpointNotFound, errorHandler } from './http/middleware/errors';
import { hostOriginGuard } from './http/middleware/host-origin';
import { ByteBudget } from './http/middleware/byte-budget';
import { requestLog } from './http/middleware/request-log';
import { createMetrics } from './metrics/metrics';
import { requestMetrics } from './http/middleware/request-metrics';
import { jsonBody, MAX_JSON_BYTES } from './http/middleware/json-body';
import { lifecycleRoutes } from './http/lifecycle';
import { signedDownloadRouter } from './http/lifecycle/downloads';
import { eventContextMiddleware } from './lifecycle/event-context';
import { packageRoutes } from './http/packages';
import { mountRoutes } from './http/route';
import { tokenRoutes } from './http/tokens';
import { ciRoutes } from './http/ci';
import { ValidatorRegistry } from './http/validation';
import { uiRoutes } from './http/ui';
import { graphqlRoutes } from './http/graphql';
import { mlflowUiRoutes } from './http/mlflow-ui';

function strictRouter(): Router {
  return Router({ caseSensitive: true, strict: true });
}

/**
 * Builds the Express app from its parts without listening, so tests mount it with supertest. Routing is
 * case-sensitive and strict: `/API/2.0/...` or a trailing `/` must never reach a handler (§7).
 */
export function createApp(ctx: AppContext): express.Express {
  const app = express();
  app.set('case sensitive routing', true);
  app.set('strict routing', true);
  app.set('x-powered-by', false);
  app.set('json replacer', nonFiniteAsString);
  // Express's 'simple' parser (repeated keys become arrays) without node:querystring's cap of 1000 keys: past
  // it the remaining keys vanish silently, so a UI request for 1000 runs lost its `metric_key` and was refused
  // for the wrong reason. The URL itself is bounded by the header size limit.
  app.set('query parser', (text: string) => querystring.parse(text, '&', '=', { maxKeys: 0 }));

  const metrics = createMetrics(ctx.db);
  app.locals.metrics = metrics;
  app.use(requestMetrics(metrics));
  app.use(requestLog(ctx.log));
  app.use(hostOriginGuard(ctx));
  app.use(uiRoutes(ctx)); // public like a login page: the UI's data comes from the API with the user's token
  // MLflow's web UI at /mlflow/ (its API calls lose the prefix here), then GraphQL, which checks its token
  // itself: a POST that only reads needs read scope, and `authenticate` asks POSTs for write.
  app.use(mlflowUiRoutes(ctx), graphqlRoutes(ctx));
  app.use(authenticate(ctx));
  app.use(healthRoutes(ctx, metrics));
  // One budget for every JSON body of this app, whichever router parses it; one holder (token or client
  // address) may hold a quarter of it (never less than one maximal body), so no client starves the others.
  const limit = ctx.config.maxJsonInflightBytes;
  const json = jsonBody({
    budget: new ByteBudget(limit, Math.max(limit / 4, MAX_JSON_BYTES)),
    idleTimeoutMs: ctx.config.bodyIdleTimeoutMs,
  });

  // The artifact proxy streams raw bodies of any content type (a .json file arrives as text/plain), so it is
  // mounted apart from every body-parsing router (mlflow-compat.md §3.8); the UI downloads sit at the root.
  const artifacts = mlflowArtifactsRouter(ctx, json);
  app.use('/api/2.0/mlflow-artifacts', artifacts);
  app.use('/ajax-api/2.0/mlflow-artifacts', artifacts);
  app.use(artifactUiRouter(ctx));
  app.use(uiHelperRoutes(ctx, json));

  const validators = new ValidatorRegistry();
  const mlflow = strictRouter();
  mlflow.use(json, eventContextMiddleware);
  mountRoutes(mlflow, mlflowRoutes, ctx, validators);
  app.use('/api/2.0/mlflow', mlflow);
  app.use('/ajax-api/2.0/mlflow', mlflow);

  // Raw and multipart uploads: mounted before any router that parses bodies.
  app.use(packageRoutes(ctx, json));

  const tokensAndCi = strictRouter();
  tokensAndCi.use(['/tokens', '/ci'], json);
  mountRoutes(tokensAndCi, [...tokenRoutes, ...ciRoutes], ctx, validators);
  app.use('/api', tokensAndCi);

  const lifecycle = strictRouter();
  lifecycle.use(['/events', '/models', '/policies', '/webhooks'], json, eventContextMiddleware);
  mountRoutes(lifecycle, lifecycleRoutes, ctx, validators);
  app.use('/api', lifecycle);
  app.use('/api', signedDownloadRouter(ctx));

  app.use(endpointNotFound);
  app.use(errorHandler(ctx.log));
  return app;
}
