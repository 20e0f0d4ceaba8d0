/**
 * Values shown in error messages the way MLflow's reference server shows them: `invalid_value` in
 * mlflow/utils/validation.py formats the offending value with
 * `json.dumps(value, sort_keys=True, separators=(",", ":"))`, so a string keeps its quotes, a float keeps
 * its `.0` and non-ASCII text is `\uXXXX`-escaped. Clients and MLflow's own tests match on that text.
 */

/** Python's `repr(float)`: shortest round-trip digits, exponent below 1e-4 and from 1e16 on. */
export function pythonFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  const [mantissa, exponentText] = n.toExponential().split('e');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    const sign = exponent < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  const plain = String(n);
  return Number.isInteger(n) ? `${plain}.0` : plain;
}

/**
 * A JSON number as Python reads it: an integer literal stays an `int` (printed as sent), anything with a
 * fraction or an exponent is a `float`. `literal` is the number's text in the request when known (the body
 * parser turns `9.0` into 9).
 */
function pythonNumber(n: number, literal?: string): string {
  if (literal !== undefined) return /[.eE]/.test(literal) ? pythonFloat(Number(literal)) : literal;
  return Number.isInteger(n) ? String(n) : pythonFloat(n);
}

const escapeNonAscii = (text: string): string =>
  text.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** `json.dumps(value, sort_keys=True, separators=(",", ":"))` (ensure_ascii on, as Python's default). */
export function pythonJson(value: unknown, numberLiteral?: string): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number') return pythonNumber(value, numberLiteral);
  if (typeof value === 'string') return escapeNonAscii(JSON.stringify(value));
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return `[${value.map((item) => pythonJson(item)).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .map((key) => `${pythonJson(key)}:${pythonJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return escapeNonAscii(JSON.stringify(String(value)));
}

/** Python's type name for a JSON value (`type(value).__name__` in the reference's hints). */
export function pythonTypeName(value: unknown, numberLiteral?: string): string {
  if (value === null || value === undefined) return 'NoneType';
  if (typeof value === 'number') {
    if (numberLiteral !== undefined) return /[.eE]/.test(numberLiteral) ? 'float' : 'int';
    return Number.isInteger(value) ? 'int' : 'float';
  }
  if (typeof value === 'string') return 'str';
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) return 'list';
  return 'dict';
}

/**
 * `json.dumps(value)` with Python's defaults (keys in their order, `", "` and `": "` separators,
 * ensure_ascii): the form of JSON tag values the reference server writes, e.g. `mlflow.modelVersions`.
 */
export function pythonDumps(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => pythonDumps(item)).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).map(
      ([key, item]) => `${pythonJson(key)}: ${pythonDumps(item)}`,
    );
    return `{${entries.join(', ')}}`;
  }
  return pythonJson(value);
}
