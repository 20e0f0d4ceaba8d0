import { invalidValue } from '../errors';

/**
 * Wire values of the tracking API: doubles arrive as numbers or as the strings "NaN", "Infinity",
 * "-Infinity" (and Python's "nan"/"inf"), int64s as JSON numbers or decimal strings (mlflow-compat.md §1.3).
 */
const NON_FINITE: Record<string, number> = {
  NaN: NaN,
  nan: NaN,
  Infinity: Infinity,
  inf: Infinity,
  '-Infinity': -Infinity,
  '-inf': -Infinity,
};

export function parseDouble(value: unknown, field: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value in NON_FINITE) return NON_FINITE[value];
  // An integer literal past 2^53, which the body parser keeps as its digits (src/http/exact-json.ts).
  if (typeof value === 'string' && /^-?\d{16,}$/.test(value)) return Number(value);
  throw invalidValue(field, value, 'expected a double.');
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * An int64 as PostgreSQL takes it: a number while it is a safe integer, otherwise its decimal string (a
 * metric step may exceed Number.MAX_SAFE_INTEGER; a double would silently round it).
 */
export type Int64 = number | string;

/** Epoch-millisecond timestamps: a non-negative int64, as MLflow takes them ("a nonnegative long"). */
export const TIMESTAMP_RANGE = { min: 0n, max: INT64_MAX } as const;

export function parseInt64(
  value: unknown,
  field: string,
  options: { min?: bigint; max?: bigint } = {},
): Int64 {
  let big: bigint;
  if (typeof value === 'number' && Number.isInteger(value)) big = BigInt(value);
  else if (typeof value === 'string' && /^-?\d{1,19}$/.test(value)) big = BigInt(value);
  else throw invalidValue(field, value, 'expected an int64.');
  const min = options.min ?? INT64_MIN;
  const max = options.max ?? INT64_MAX;
  if (big < min || big > max) {
    throw invalidValue(field, value, `out of range (${min} to ${max}).`);
  }
  return Number.isSafeInteger(Number(big)) ? Number(big) : big.toString();
}

export function optionalInt64(
  value: unknown,
  field: string,
  fallback: Int64,
  options: { min?: bigint; max?: bigint } = {},
): Int64 {
  return value === undefined || value === null ? fallback : parseInt64(value, field, options);
}

/** Orders int64 values that may be numbers or decimal strings. */
export function compareInt64(a: Int64, b: Int64): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Parses a `max_results` that arrives as a JSON number, a decimal string or a query-string value. */
export function parseMaxResults(
  value: unknown,
  { fallback, max, min = 1 }: { fallback: number; max: number; min?: number },
): number {
  if (value === undefined || value === null || value === '') return fallback;
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^-?\d+$/.test(value)
        ? Number(value)
        : NaN;
  if (!Number.isSafeInteger(n)) {
    throw invalidValue('max_results', value, 'expected an integer.');
  }
  if (n < min || n > max) {
    throw invalidValue('max_results', n, `it must be between ${min} and ${max}.`);
  }
  return n;
}

/** Milliseconds since the epoch, the unit of every MLflow timestamp. */
export function nowMs(): number {
  return Date.now();
}
