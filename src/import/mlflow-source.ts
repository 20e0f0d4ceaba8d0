import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

/**
 * The source MLflow server, read only through its public REST API, so any MLflow 2.x/3.x server works
 * (Databricks included). Credentials are taken as the MLflow client takes them: MLFLOW_TRACKING_USERNAME +
 * MLFLOW_TRACKING_PASSWORD as Basic, else MLFLOW_TRACKING_TOKEN as Bearer (Basic wins when both are set, as
 * in mlflow/utils/rest_utils.py). Transient failures (network errors, 429, 5xx) are retried with backoff
 * like the client's urllib3 Retry, a little less patiently; what is left becomes a SourceError.
 */
export class SourceError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly errorCode?: string,
  ) {
    super(message);
  }
}

type Env = Record<string, string | undefined>;
type Query = Record<string, string | number | boolean | undefined>;

const RETRIES = 5;
const FIRST_BACKOFF_MS = 500;
const REQUEST_TIMEOUT_MS = 120_000;
const RETRIED_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

export function authorizationFromEnv(env: Env): string | undefined {
  const user = env.MLFLOW_TRACKING_USERNAME;
  const password = env.MLFLOW_TRACKING_PASSWORD;
  if (user && password) return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  if (env.MLFLOW_TRACKING_TOKEN) return `Bearer ${env.MLFLOW_TRACKING_TOKEN}`;
  return undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A path below the artifact proxy, each segment percent-encoded (names may hold spaces, `#`, unicode). */
const encodePath = (path: string) => path.split('/').map(encodeURIComponent).join('/');

export class MlflowSource {
  readonly baseUrl: string;

  constructor(
    baseUrl: string,
    private readonly authorization?: string,
    private readonly signal?: AbortSignal,
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  private async request(method: string, path: string, query?: Query, body?: unknown): Promise<Response> {
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [key, value] of Object.entries(query ?? {}))
      if (value !== undefined) url.searchParams.append(key, String(value));
    const headers: Record<string, string> = { 'User-Agent': 'semreg-import-mlflow' };
    if (this.authorization) headers.Authorization = this.authorization;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let lastError: unknown;
    for (let attempt = 0; attempt <= RETRIES; attempt += 1) {
      if (attempt > 0) await sleep(FIRST_BACKOFF_MS * 2 ** (attempt - 1));
      this.signal?.throwIfAborted();
      try {
        const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
        const response = await fetch(url, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: this.signal ? AbortSignal.any([this.signal, timeout]) : timeout,
        });
        if (RETRIED_STATUSES.has(response.status) && attempt < RETRIES) {
          await response.body?.cancel();
          lastError = new SourceError(`${method} ${url.pathname}: HTTP ${response.status}`, response.status);
          continue;
        }
        return response;
      } catch (err) {
        if (this.signal?.aborted) throw err;
        lastError = err;
      }
    }
    const reason = lastError instanceof Error ? lastError.message : String(lastError);
    throw new SourceError(`${this.baseUrl} did not answer ${method} ${path}: ${reason}`);
  }

  private async failure(response: Response, what: string): Promise<SourceError> {
    const text = await response.text().catch(() => '');
    let code: string | undefined;
    let message = text.slice(0, 300);
    try {
      const parsed = JSON.parse(text) as { error_code?: string; message?: string };
      code = parsed.error_code;
      message = parsed.message ?? message;
    } catch {
      // not JSON: keep the text
    }
    return new SourceError(
      `${what}: HTTP ${response.status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`,
      response.status,
      code,
    );
  }

  /** One JSON RPC of `/api/2.0/mlflow/…`. */
  async call<T>(method: 'GET' | 'POST', rpc: string, input: Query | object = {}): Promise<T> {
    const path = `/api/2.0/mlflow/${rpc}`;
    const response =
      method === 'GET'
        ? await this.request('GET', path, input as Query)
        : await this.request('POST', path, {}, input);
    if (!response.ok) throw await this.failure(response, `${method} ${path}`);
    return (await response.json()) as T;
  }

  /** Every item of a paginated RPC, page by page (`next_page_token`). */
  async *pages<T>(
    method: 'GET' | 'POST',
    rpc: string,
    input: Query | object,
    field: string,
  ): AsyncGenerator<T[]> {
    let pageToken: string | undefined;
    do {
      const page = await this.call<Record<string, unknown>>(method, rpc, {
        ...input,
        ...(pageToken ? { page_token: pageToken } : {}),
      });
      yield (page[field] as T[] | undefined) ?? [];
      pageToken = (page.next_page_token as string | undefined) || undefined;
    } while (pageToken);
  }

  async all<T>(method: 'GET' | 'POST', rpc: string, input: Query | object, field: string): Promise<T[]> {
    const items: T[] = [];
    for await (const page of this.pages<T>(method, rpc, input, field)) items.push(...page);
    return items;
  }

  /** A file through the artifact proxy (`mlflow-artifacts:/<path>`), streamed. */
  async download(path: string): Promise<{ stream: Readable; size?: number }> {
    const response = await this.request('GET', `/api/2.0/mlflow-artifacts/artifacts/${encodePath(path)}`);
    if (!response.ok || !response.body) throw await this.failure(response, `download ${path}`);
    const length = Number(response.headers.get('content-length'));
    return {
      stream: Readable.fromWeb(response.body as WebReadableStream<Uint8Array>),
      size: Number.isFinite(length) && response.headers.get('content-encoding') === null ? length : undefined,
    };
  }

  /** Direct children of a directory of the artifact proxy. */
  async listProxied(path: string): Promise<Array<{ path: string; is_dir?: boolean; file_size?: number }>> {
    const response = await this.request('GET', '/api/2.0/mlflow-artifacts/artifacts', { path });
    if (!response.ok) throw await this.failure(response, `list ${path}`);
    const body = (await response.json()) as {
      files?: Array<{ path: string; is_dir?: boolean; file_size?: number }>;
    };
    return body.files ?? [];
  }
}
