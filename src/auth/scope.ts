/**
 * The three token scopes, each including the ones below it (MLflow's READ < EDIT < MANAGE): `read` may
 * call GET/HEAD/OPTIONS, `write` may change things, `admin` may also manage tokens, overwrite released
 * package files and delete package files.
 */
export const SCOPES = ['read', 'write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export function isScope(value: unknown): value is Scope {
  return typeof value === 'string' && (SCOPES as readonly string[]).includes(value);
}

export function scopeIncludes(have: Scope, need: Scope): boolean {
  return SCOPES.indexOf(have) >= SCOPES.indexOf(need);
}

/** The scope an HTTP method needs by default; routes may ask for more (never less). */
export function scopeForMethod(method: string): Scope {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS' ? 'read' : 'write';
}
