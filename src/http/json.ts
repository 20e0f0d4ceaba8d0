/**
 * JSON replacer for every response: MLflow sends NaN and ±∞ as the strings "NaN", "Infinity" and
 * "-Infinity"; JSON.stringify would turn them into null, which the client reads as 0.0 (§1.4).
 */
export function nonFiniteAsString(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
  }
  return value;
}
