import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { Writable } from 'node:stream';
import { PRESIGNED_SHA256_PARAMETER } from '../storage/artifact-store';
import { CliError, EXIT, exitCodeForStatus } from './exit-codes';

/**
 * semreg's HTTP client for the CLI: JSON calls with the token and CI headers, plus streamed uploads and
 * downloads (node's http, which streams request and response bodies without buffering them).
 */
export interface ClientOptions {
  baseUrl: string;
  token?: string;
  /** Sent with every request (the CI job headers). */
  headers?: Record<string, string>;
}

type Query = Record<string, string | number | undefined>;

export class SemregClient {
  readonly baseUrl: string;

  constructor(private readonly options: ClientOptions) {
    // MLFLOW_TRACKING_URI may carry a path prefix; every call goes below it (as MLflow's client does).
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      ...(this.options.token ? { Authorization: `Bearer ${this.options.token}` } : {}),
      ...(this.options.headers ?? {}),
      ...extra,
    };
  }

  url(path: string, query: Query = {}): string {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query))
      if (value !== undefined && value !== '') search.set(key, String(value));
    const qs = search.toString();
    return `${this.baseUrl}${path}${qs ? `?${qs}` : ''}`;
  }

  async json<T>(
    method: string,
    path: string,
    options: { query?: Query; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.url(path, options.query), {
        method,
        headers: this.headers({
          ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
          ...(options.headers ?? {}),
        }),
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      });
    } catch (err) {
      throw unreachable(this.baseUrl, err);
    }
    const text = await response.text();
    if (!response.ok) throw httpError(response.status, text);
    return (text ? JSON.parse(text) : {}) as T;
  }

  /** PUTs a file as a raw stream; returns the parsed JSON answer. */
  async upload(
    path: string,
    file: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: any }> {
    const size = (await fs.promises.stat(file)).size;
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const request = transport(this.baseUrl).request(
        this.url(path),
        {
          method: 'PUT',
          headers: this.headers({
            'Content-Type': 'application/octet-stream',
            'Content-Length': String(size),
            ...headers,
          }),
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (c: Buffer) => chunks.push(c));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          );
          response.on('error', reject);
        },
      );
      request.on('error', (err) => reject(unreachable(this.baseUrl, err)));
      fs.createReadStream(file).on('error', reject).pipe(request);
    });
    if (status < 200 || status >= 300) throw httpError(status, text);
    return { status, body: text ? JSON.parse(text) : {} };
  }
}

function transport(url: string): typeof http | typeof https {
  return url.startsWith('https:') ? https : http;
}

function unreachable(baseUrl: string, err: unknown): CliError {
  const cause =
    (err as { cause?: { code?: string; message?: string } }).cause ??
    (err as { code?: string; message?: string });
  return new CliError(
    `Cannot reach semreg at ${baseUrl}: ${cause?.code ?? cause?.message ?? String(err)}`,
    EXIT.UNAVAILABLE,
  );
}

function httpError(status: number, text: string): CliError {
  let detail = text.slice(0, 500);
  try {
    const body = JSON.parse(text) as { error_code?: string; message?: string };
    if (body.error_code) detail = `${body.error_code}: ${body.message ?? ''}`;
  } catch {
    // not JSON: keep the raw text
  }
  return new CliError(`HTTP ${status} ${detail}`.trim(), exitCodeForStatus(status));
}

export interface DownloadResult {
  size: number;
  /** From the X-Checksum-Sha256 header: the sha256 the server recorded when the file was stored. */
  sha256?: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 3;

/**
 * The expected sha256 of a download: the `X-Checksum-Sha256` header of any answer on the way (semreg sends
 * it with its redirects to the object store too), else the `semreg-sha256` parameter of a presigned URL
 * that semreg's download-uris handed out.
 */
function expectedChecksum(url: string, header: string | string[] | undefined): string | undefined {
  if (typeof header === 'string') return header;
  return new URL(url).searchParams.get(PRESIGNED_SHA256_PARAMETER) ?? undefined;
}

/**
 * GETs a (signed, absolute) URL into `sink`, following redirects (to the object store); `onData` sees every
 * chunk (progress, hashing).
 */
export function download(
  url: string,
  sink: Writable,
  onData: (chunk: Buffer) => void,
  onSize?: (size: number) => void,
  redirects = 0,
  checksumSoFar?: string,
): Promise<DownloadResult> {
  return new Promise((resolve, reject) => {
    const request = transport(url).get(url, (response) => {
      const status = response.statusCode ?? 0;
      const checksum = checksumSoFar ?? expectedChecksum(url, response.headers['x-checksum-sha256']);
      const location = response.headers.location;
      if (REDIRECTS.has(status) && location && redirects < MAX_REDIRECTS) {
        response.resume();
        const next = new URL(location, url).toString();
        download(next, sink, onData, onSize, redirects + 1, checksum).then(resolve, reject);
        return;
      }
      if (status !== 200) {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () => reject(httpError(status, Buffer.concat(chunks).toString('utf8'))));
        return;
      }
      const size = Number(response.headers['content-length'] ?? NaN);
      if (Number.isFinite(size)) onSize?.(size);
      let received = 0;
      response.on('data', (chunk: Buffer) => {
        received += chunk.length;
        onData(chunk);
      });
      response.pipe(sink);
      sink.on('finish', () => {
        resolve({ size: received, sha256: checksum });
      });
      response.on('error', reject);
      sink.on('error', reject);
    });
    request.on('error', (err) => reject(unreachable(new URL(url).origin, err)));
  });
}
