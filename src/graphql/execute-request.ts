import crypto from 'node:crypto';
import {
  execute,
  GraphQLError,
  parse,
  validate,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import { translateDatabaseError } from '../db/pg-errors';
import { MlflowError } from '../errors';
import type { Logger } from '../log';
import type { GraphqlContext } from './context';
import { protoFieldResolver } from './proto-defaults';
import { exceededLimit, type QueryLimits } from './query-limits';

/**
 * One GraphQL request, answered in MLflow's shape: `{"data": …, "errors": null}`, or `errors` as a list of
 * message strings (not the GraphQL spec's objects: MLflow's server sends `[error.message …]` and its UI
 * reads nothing else). Mistakes in the document — syntax, limits, validation, variables — are answers with
 * `data: null` and status 200 as on the reference; a resolver's MLflow error nulls its field and adds its
 * message. A body that is not a GraphQL request at all is refused before this, by the HTTP layer (400).
 */
export interface GraphqlAnswer {
  data: unknown;
  errors: string[] | null;
}

/** A document is a few KB (MLflow's largest UI query has ~300 tokens); this bounds the parser's work. */
const MAX_TOKENS = 20000;

/** The request envelope, already validated against the OpenAPI document (schemas/src/07-graphql.yaml). */
export interface GraphqlRequest {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
}

/** Messages of MLflow errors (and translated database errors) are the client's; anything else is logged. */
function messageOf(error: GraphQLError, log: Logger): string {
  const original = error.originalError;
  if (!original || original instanceof GraphQLError) return error.message;
  const known = original instanceof MlflowError ? original : translateDatabaseError(original);
  if (known) return known.message;
  const requestId = crypto.randomUUID();
  log.error({ err: original, requestId, path: error.path }, 'unhandled error in a GraphQL resolver');
  return `Internal error (request id ${requestId}).`;
}

function failed(messages: readonly string[]): GraphqlAnswer {
  return { data: null, errors: [...messages] };
}

export async function executeGraphqlRequest(
  schema: GraphQLSchema,
  limits: QueryLimits,
  { query, variables, operationName }: GraphqlRequest,
  ctx: GraphqlContext,
): Promise<GraphqlAnswer> {
  let document: DocumentNode;
  try {
    document = parse(query, { maxTokens: MAX_TOKENS });
  } catch (err) {
    if (err instanceof GraphQLError) return failed([err.message]);
    // graphql-js parses recursively: a few thousand nested selection sets, far below MAX_TOKENS, overflow
    // the stack before the depth limit (checked on the parsed document) can refuse them.
    if (err instanceof RangeError) return failed(['The document is nested too deeply.']);
    throw err;
  }
  const tooExpensive = exceededLimit(document, limits);
  if (tooExpensive) return failed([tooExpensive]);
  const invalid = validate(schema, document);
  if (invalid.length > 0) return failed(invalid.map((error) => error.message));
  const result = (await execute({
    schema,
    document,
    variableValues: variables ?? undefined,
    operationName: operationName ?? undefined,
    contextValue: ctx,
    fieldResolver: protoFieldResolver,
  })) as ExecutionResult;
  return {
    data: result.data ?? null,
    errors: result.errors?.length ? result.errors.map((error) => messageOf(error, ctx.app.log)) : null,
  };
}
