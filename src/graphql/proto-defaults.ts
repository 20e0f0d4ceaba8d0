import {
  getNamedType,
  isEnumType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLFieldResolver,
  type GraphQLOutputType,
} from 'graphql';

/**
 * How every field without a resolver of its own is read. The services return MLflow's REST JSON (snake_case
 * keys, unset fields left out); MLflow's GraphQL reads the same protobuf messages, whose unset fields read as
 * proto defaults. So a camelCase field reads its snake_case key, and an absent value becomes what the
 * reference answers for it (measured on `mlflow server` 3.17.2): `""` for strings, `"0"` for LongString,
 * `false`, `0`, `[]` for lists and an empty message for nested messages (`run.inputs` of a run without
 * inputs is `{datasetInputs: [], modelInputs: []}`).
 *
 * Two deliberate differences: an unset enum is null (the reference reports "Enum … cannot represent value:
 * 0" as an error), and NaN or ±Infinity in a Float is null without an error (the reference does that for
 * `MlflowMetricExtension.value` only and fails the whole answer elsewhere, which the UI's charts show as an
 * error).
 */
const API_ERROR_TYPE = 'ApiError';

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

function protoDefault(type: GraphQLOutputType): unknown {
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) return [];
  if (isEnumType(inner)) return null;
  if (isObjectType(inner)) return inner.name === API_ERROR_TYPE ? null : {};
  switch (getNamedType(inner).name) {
    case 'String':
      return '';
    case 'LongString':
      return '0';
    case 'Boolean':
      return false;
    case 'Int':
    case 'Float':
      return 0;
    default:
      return null;
  }
}

export const protoFieldResolver: GraphQLFieldResolver<unknown, unknown> = (source, _args, _ctx, info) => {
  const value =
    source !== null && typeof source === 'object'
      ? (source as Record<string, unknown>)[snakeCase(info.fieldName)]
      : undefined;
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  return value ?? protoDefault(info.returnType);
};
