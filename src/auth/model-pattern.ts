import { invalidParameter } from '../errors';

/**
 * Model-name patterns of a restricted token: a registered-model name where `*` stands for any run of
 * characters (empty included) and `?` for exactly one. The match is on the whole, case-sensitive name,
 * the way registered-model names themselves compare.
 */
const MAX_PATTERN_LENGTH = 256;
const MAX_PATTERNS = 100;

/**
 * Whether `name` matches `pattern`, without regular expressions: a regex built from `*a*a*a…b` backtracks
 * exponentially (a 128-character name took over 20 s of the event loop). This is the greedy wildcard match
 * with one resume point — the last `*` — so it does at most pattern × name steps (65,536 for 256 characters
 * each). Both sides are compared by code point, as PostgreSQL's LIKE counts characters.
 */
export function matchesModelPattern(pattern: string, name: string): boolean {
  const p = Array.from(pattern);
  const s = Array.from(name);
  let i = 0;
  let j = 0;
  let star = -1;
  let resume = 0;
  while (i < s.length) {
    if (j < p.length && p[j] === '*') {
      star = j++;
      resume = i;
    } else if (j < p.length && (p[j] === '?' || p[j] === s[i])) {
      i += 1;
      j += 1;
    } else if (star >= 0) {
      j = star + 1;
      i = ++resume;
    } else {
      return false;
    }
  }
  while (j < p.length && p[j] === '*') j += 1;
  return j === p.length;
}

/**
 * The same pattern as a PostgreSQL LIKE pattern (escape character `\`), so searches filter in SQL by the rule
 * `modelAllowed` applies in code. PostgreSQL's LIKE matcher gives up on a `%` that cannot lead to a match
 * instead of backtracking through it, so adversarial patterns stay cheap there too.
 */
export function modelPatternLike(pattern: string): string {
  return Array.from(pattern)
    .map((char) => (char === '*' ? '%' : char === '?' ? '_' : char.replace(/[\\%_]/, '\\$&')))
    .join('');
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
  return patterns.length === 0 || patterns.some((pattern) => matchesModelPattern(pattern, name));
}
