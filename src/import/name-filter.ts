import { matchesModelPattern } from '../auth/model-pattern';

/**
 * `--models 'churn-*'` / `--experiments 'team-a/*,Default'`: the same `*`/`?` whole-name match as token model
 * patterns (src/auth/model-pattern.ts), comma-separated; no pattern takes everything.
 */
export function parsePatterns(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((pattern) => pattern.trim())
    .filter(Boolean);
}

export function nameSelected(patterns: readonly string[], name: string): boolean {
  return patterns.length === 0 || patterns.some((pattern) => matchesModelPattern(pattern, name));
}
