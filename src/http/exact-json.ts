import { isInteger, isSafeNumber, parse as parseLossless } from 'lossless-json';

/**
 * JSON.parse turns every number into a double, so an int64 past 2^53 (a metric step, a timestamp) would be
 * stored rounded; MLflow keeps them exact. Such an integer is kept as its decimal string instead, which every
 * int64 field accepts (mlflow-compat.md §1.3) and PostgreSQL stores exactly. Only a body with a run of 16 or
 * more digits can hold one, so every other body keeps the fast native parser.
 */
const LONG_DIGIT_RUN = /\d{16}/;

const exactNumber = (text: string): number | string =>
  isInteger(text) && !isSafeNumber(text) ? text : Number(text);

export function parseJsonExactly(text: string): unknown {
  return LONG_DIGIT_RUN.test(text) ? parseLossless(text, undefined, exactNumber) : JSON.parse(text);
}
