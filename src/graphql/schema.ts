import {
  assertObjectType,
  assertScalarType,
  buildSchema,
  type GraphQLFieldResolver,
  type GraphQLSchema,
} from 'graphql';
import { LONG_STRING } from './long-string';
import { MLFLOW_GRAPHQL_SDL } from './mlflow-schema';
import { mutationResolvers, queryResolvers, runExtensionResolvers } from './resolvers';

/**
 * MLflow's schema from its SDL, with semreg's resolvers attached. graphql-js builds SDL scalars with identity
 * coercion and offers no hook to pass resolvers to `buildSchema`, so both are set on the built types once,
 * here, before the schema is ever used.
 */
function attach(schema: GraphQLSchema, typeName: string, resolvers: Record<string, unknown>): void {
  const fields = assertObjectType(schema.getType(typeName)).getFields();
  for (const [name, resolve] of Object.entries(resolvers)) {
    const field = fields[name];
    if (!field) throw new Error(`${typeName}.${name} is not in MLflow's schema`);
    (field as { resolve?: GraphQLFieldResolver<unknown, unknown> }).resolve = resolve as GraphQLFieldResolver<
      unknown,
      unknown
    >;
  }
}

export function buildMlflowSchema(): GraphQLSchema {
  const schema = buildSchema(MLFLOW_GRAPHQL_SDL);
  Object.assign(assertScalarType(schema.getType('LongString')), LONG_STRING);
  attach(schema, 'Query', queryResolvers);
  attach(schema, 'Mutation', mutationResolvers);
  attach(schema, 'MlflowRunExtension', runExtensionResolvers);
  return schema;
}
