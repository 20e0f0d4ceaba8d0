import type { operations } from '../../../src/generated/openapi';
import { readToken } from './token-store';

/**
 * The one way the UI talks to the server: the public API, with the token as a Bearer header. Response types
 * come from the OpenAPI document's generated types (`npm run gen`), so a changed schema breaks the UI's
 * type check rather than a page at run time.
 */
export type OkBody<Op extends keyof operations> = operations[Op] extends {
  responses: { 200: { content: { 'application/json': infer Body } } };
}
  ? Body
  : operations[Op] extends { responses: { 201: { content: { 'application/json': infer Body } } } }
    ? Body
    : never;

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

export async function request<T>(
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
  path: string,
  options: { query?: Query; body?: unknown; signal?: AbortSignal } = {},
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${path}${queryString(options.query)}`, {
      method,
      headers: {
        Accept: 'application/json',
        ...authHeaders(),
        ...(options.body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
      ...NO_BROWSER_CREDENTIALS,
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'NETWORK_ERROR', `The server could not be reached: ${(err as Error).message}`);
  }
  if (!res.ok) throw await errorFrom(res);
  return (await res.json()) as T;
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
