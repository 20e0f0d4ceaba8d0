import { invalidParameter } from '../errors';

/**
 * Opaque page tokens: base64 of `{"offset": N}` like MLflow's reference server, plus an optional binding
 * (a digest of the filter and order) so a token is refused when reused with a different query.
 */
export function encodePageToken(offset: number, binding?: string): string {
  return Buffer.from(JSON.stringify(binding ? { offset, binding } : { offset })).toString('base64');
}

export function decodePageToken(token: string | undefined, binding?: string): number {
  if (token === undefined || token === '') return 0;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
  } catch {
    throw invalidParameter(`Invalid page token '${token.slice(0, 100)}'.`);
  }
  const { offset, binding: tokenBinding } = (parsed ?? {}) as { offset?: unknown; binding?: unknown };
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
    throw invalidParameter(`Invalid page token '${token.slice(0, 100)}'.`);
  }
  if (binding !== undefined && tokenBinding !== undefined && tokenBinding !== binding) {
    throw invalidParameter('The page token was issued for a different search; start again without it.');
  }
  return offset;
}

/**
 * Fetches `maxResults + 1` rows to learn whether another page exists; returns the page and its token.
 */
export function paginate<T>(
  rows: T[],
  offset: number,
  maxResults: number,
  binding?: string,
): { items: T[]; nextPageToken?: string } {
  if (rows.length > maxResults) {
    return { items: rows.slice(0, maxResults), nextPageToken: encodePageToken(offset + maxResults, binding) };
  }
  return { items: rows };
}
