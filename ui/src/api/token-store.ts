/**
 * The API token, kept in sessionStorage (issue 13): it dies with the tab, is never a cookie (so the
 * server's CSRF and Host/Origin rules stay as they are) and reaches the API only as a Bearer header.
 */
const KEY = 'semreg.token';
const listeners = new Set<() => void>();

export function readToken(): string | undefined {
  try {
    return sessionStorage.getItem(KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

export function writeToken(token: string | undefined): void {
  if (token) sessionStorage.setItem(KEY, token);
  else sessionStorage.removeItem(KEY);
  for (const listener of listeners) listener();
}

export function onTokenChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
