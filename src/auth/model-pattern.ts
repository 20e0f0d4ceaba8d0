import { invalidParameter } from '../errors';

/**
 * Model-name patterns of a restricted token: a registered-model name where `*` stands for any run of
 * characters (empty included) and `?` for exactly one. The match is on the whole, case-sensitive name,
 * the way registered-model names themselves compare.
 */
const MAX_PATTERN_LENGTH = 256;
const MAX_PATTERNS = 100;

/**
 * The anchored regular expression for a pattern, in the syntax JavaScript and PostgreSQL (`~`) share, so
 * searches can filter in SQL by the same rule `modelAllowed` applies in code.
 */
export function modelPatternRegex(pattern: string): string {
  const body = pattern
    .split('')
    .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return `^${body}$`;
}

function toRegExp(pattern: string): RegExp {
  return new RegExp(modelPatternRegex(pattern), 's');
}

/** Validates patterns the way registered-model names are validated (no `/`, `:` or control characters). */
export function parseModelPatterns(patterns: readonly unknown[]): string[] {
  if (patterns.length > MAX_PATTERNS)
    throw invalidParameter(`A token may carry at most ${MAX_PATTERNS} model patterns.`);
  return patterns.map((pattern) => {
    if (typeof pattern !== 'string' || pattern.length === 0 || pattern.length > MAX_PATTERN_LENGTH) {
      throw invalidParameter(
        `Invalid model pattern ${JSON.stringify(pattern)}: 1-${MAX_PATTERN_LENGTH} characters.`,
      );
    }
    if (
      /[/:]/.test(pattern) ||
      [...pattern].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f)
    ) {
      throw invalidParameter(
        `Invalid model pattern ${JSON.stringify(pattern)}: no '/', ':' or control characters.`,
      );
    }
    return pattern;
  });
}

/** True when `name` matches one of `patterns`; an empty list means the token is not restricted. */
export function modelAllowed(patterns: readonly string[], name: string): boolean {
  return patterns.length === 0 || patterns.some((pattern) => toRegExp(pattern).test(name));
}
