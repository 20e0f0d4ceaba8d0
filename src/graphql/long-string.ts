import { GraphQLError, Kind, type GraphQLScalarTypeConfig, type ValueNode } from 'graphql';

/**
 * MLflow's `LongString` scalar: int64 values (timestamps, steps, sizes, `maxResults`) travel as decimal
 * strings so JavaScript clients never round them. Output: any int64 the services return (number, string or
 * bigint) as its decimal text. Input: an integer literal, a decimal string, or a number variable; the value
 * stays a string so nothing past 2^53 loses precision on its way to the service.
 */
const DECIMAL = /^-?\d+$/;

function fromValue(value: unknown): string {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string' && DECIMAL.test(value.trim())) return value.trim();
  throw new GraphQLError(`LongString cannot represent value: ${String(value).slice(0, 100)}`);
}

function fromLiteral(node: ValueNode): string {
  if (node.kind === Kind.INT) return node.value;
  if (node.kind === Kind.STRING && DECIMAL.test(node.value.trim())) return node.value.trim();
  throw new GraphQLError('LongString must be an integer or a string of decimal digits.');
}

export const LONG_STRING: Pick<
  GraphQLScalarTypeConfig<string, string>,
  'coerceOutputValue' | 'coerceInputValue' | 'coerceInputLiteral'
> = {
  coerceOutputValue: (value) => (typeof value === 'string' ? value : fromValue(value)),
  coerceInputValue: fromValue,
  coerceInputLiteral: fromLiteral,
};
