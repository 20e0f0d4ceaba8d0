import createClient from 'openapi-fetch';
import type { paths } from '../../../src/generated/openapi';
import { readToken } from './token-store';

/** An API error answer (`{error_code, message}`) or a network failure (status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }

  get needsSignIn(): boolean {
    return this.status === 401;
  }

  get forbidden(): boolean {
    return this.status === 403;
  }
}

export type Query = Record<string, string | number | boolean | string[] | undefined | null>;

export function queryString(query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) for (const item of value) params.append(key, item);
    else params.append(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/**
 * Every request goes without credentials: the UI uses no cookies, and a 401 answer carries
 * `WWW-Authenticate: Basic` (for MLflow's client), which would otherwise make the browser open its own
 * password dialog instead of letting the page show "sign in".
 */
export const NO_BROWSER_CREDENTIALS = { credentials: 'omit' } as const;

export function authHeaders(): Record<string, string> {
  const token = readToken();
  return token ? { Authorization: `Bearer ${token}` } : {};
}

async function errorFrom(res: Response): Promise<ApiError> {
  const body = (await res.json().catch(() => undefined)) as
    { error_code?: string; message?: string } | undefined;
  return new ApiError(
    res.status,
    body?.error_code ?? `HTTP_${res.status}`,
    body?.message ?? `${res.status} ${res.statusText}`,
  );
}

/**
 * The one way the UI talks to the server: the public API through openapi-fetch, typed by the OpenAPI
 * document's generated `paths` (`npm run gen`): paths, parameters, bodies and answers alike, so a changed
 * schema breaks the UI's type check rather than a page at run time. The token goes as a Bearer header.
 */
export const api = createClient<paths>({
  headers: { Accept: 'application/json' },
  // The API's own parameters never take '' to mean something, and MLflow reads `filter=` as a filter.
  querySerializer: (query) => queryString(query as Query).slice(1),
  ...NO_BROWSER_CREDENTIALS,
});

api.use({
  onRequest({ request }) {
    for (const [name, value] of Object.entries(authHeaders())) request.headers.set(name, value);
    return request;
  },
});

/** An openapi-fetch answer as the body of a 2xx, or an ApiError; network failures become status 0. */
export async function ok<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<NonNullable<T>> {
  let answer: { data?: T; error?: unknown; response: Response };
  try {
    answer = await call;
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'NETWORK_ERROR', `The server could not be reached: ${(err as Error).message}`);
  }
  const { data, error, response } = answer;
  if (!response.ok) {
    const body = error as { error_code?: string; message?: string } | undefined;
    throw new ApiError(
      response.status,
      body?.error_code ?? `HTTP_${response.status}`,
      body?.message ?? `${response.status} ${response.statusText}`,
    );
  }
  return data as NonNullable<T>;
}

/** A file's bytes through the API (with the token); with `maxBytes`, only its first bytes (a Range request). */
export async function fetchBytes(url: string, maxBytes?: number): Promise<Blob> {
  const range: Record<string, string> = maxBytes ? { Range: `bytes=0-${maxBytes - 1}` } : {};
  const res = await fetch(url, {
    headers: { ...authHeaders(), ...range },
    ...NO_BROWSER_CREDENTIALS,
  });
  if (!res.ok) throw await errorFrom(res);
  return res.blob();
}

export const segment = encodeURIComponent;
