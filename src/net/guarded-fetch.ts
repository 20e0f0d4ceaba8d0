import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import ipaddr from 'ipaddr.js';
import { MlflowError } from '../errors';

/**
 * The one function through which semreg ever fetches a URL (webhooks today). It refuses loopback,
 * link-local (cloud metadata at 169.254.169.254), RFC 1918, ULA, unspecified and every other non-global
 * range, including IPv4 addresses smuggled inside IPv6 (mlflow-compat.md §7 "SSRF", issue 6 item 4).
 *
 * The address is checked where the socket is opened, not only when the URL is saved: we resolve the name
 * ourselves in `lookup` and hand the checked address straight to `connect`, so a DNS answer that changes
 * between validation and delivery (DNS rebinding) cannot reach a private address. MLflow closes the same gap
 * by checking the connected peer (mlflow/webhooks/ssrf.py). Redirects are never followed.
 */
export interface GuardedFetchOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Whole request, connect to last byte read. */
  timeoutMs?: number;
  /** The body is read up to this many bytes, the rest is discarded (a receiver cannot flood us). */
  maxResponseBytes?: number;
  /** Tests only (WEBHOOK_ALLOW_PRIVATE=true): permit loopback and private targets. */
  allowPrivate?: boolean;
}

export interface GuardedResponse {
  status: number;
  /** 2xx; a 3xx is a failure because redirects are not followed. */
  ok: boolean;
  body: string;
  truncated: boolean;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;

/** IPv4-compatible IPv6 (::a.b.c.d, deprecated by RFC 4291) reaches the embedded IPv4 address on some stacks. */
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');

/** True when `address` is a public unicast address a webhook may target. */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  // process() turns ::ffff:a.b.c.d (IPv4-mapped) into the IPv4 address it really connects to.
  const parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).match(IPV4_COMPATIBLE)) return false;
  return parsed.range() === 'unicast';
}

function blocked(host: string, address: string): MlflowError {
  return new MlflowError(
    'INVALID_PARAMETER_VALUE',
    `Refusing to connect to ${host} (${address}): loopback, link-local, private and other non-public addresses are not allowed.`,
  );
}

function parseTarget(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new MlflowError('INVALID_PARAMETER_VALUE', `Invalid URL '${raw.slice(0, 200)}'.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new MlflowError(
      'INVALID_PARAMETER_VALUE',
      `Invalid URL scheme '${url.protocol}': only http and https are allowed.`,
    );
  }
  if (!url.hostname)
    throw new MlflowError('INVALID_PARAMETER_VALUE', `The URL '${raw.slice(0, 200)}' has no host.`);
  if (url.username || url.password) {
    throw new MlflowError(
      'INVALID_PARAMETER_VALUE',
      'The URL must not carry credentials; use the webhook secret instead.',
    );
  }
  return url;
}

/** `URL.hostname` keeps the brackets of an IPv6 literal. */
function bareHost(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

async function resolveAll(host: string): Promise<string[]> {
  if (net.isIP(host)) return [host];
  try {
    const answers = await dns.promises.lookup(host, { all: true, verbatim: true });
    return answers.map((answer) => answer.address);
  } catch {
    throw new MlflowError('INVALID_PARAMETER_VALUE', `The host '${host.slice(0, 200)}' cannot be resolved.`);
  }
}

/**
 * Checks a URL before it is saved (webhook create/update): scheme, host, and every address its name resolves
 * to now. Delivery checks again at connect time, so this is only the early, friendly refusal.
 */
export async function validateOutboundUrl(raw: string, allowPrivate: boolean): Promise<URL> {
  const url = parseTarget(raw);
  if (allowPrivate) return url;
  const host = bareHost(url);
  for (const address of await resolveAll(host)) {
    if (!isPublicAddress(address)) throw blocked(host, address);
  }
  return url;
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;

/** `lookup` for http.request: resolves, refuses if any answer is non-public, and connects to what it checked. */
function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const list = addresses as dns.LookupAddress[];
      const bad = allowPrivate ? undefined : list.find((entry) => !isPublicAddress(entry.address));
      if (bad) return callback(blocked(hostname, bad.address) as unknown as NodeJS.ErrnoException, []);
      if (list.length === 0)
        return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
      if (options.all) return callback(null, list);
      callback(null, list[0].address, list[0].family);
    });
  };
}

export async function guardedFetch(
  rawUrl: string,
  options: GuardedFetchOptions = {},
): Promise<GuardedResponse> {
  const url = parseTarget(rawUrl);
  const allowPrivate = options.allowPrivate ?? false;
  const host = bareHost(url);
  // A literal IP never goes through `lookup`, so it is checked here.
  if (net.isIP(host) && !allowPrivate && !isPublicAddress(host)) throw blocked(host, host);

  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const client = url.protocol === 'https:' ? https : http;
  const body = options.body === undefined ? undefined : Buffer.from(options.body);
  const headers: Record<string, string | number> = { ...(options.headers ?? {}) };
  if (body) headers['Content-Length'] = body.length;

  return new Promise<GuardedResponse>((resolve, reject) => {
    const request = client.request(
      url,
      {
        method: options.method ?? 'GET',
        headers,
        lookup: guardedLookup(allowPrivate) as unknown as net.LookupFunction,
        agent: false,
        timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let received = 0;
        let truncated = false;
        const finish = (): void => {
          clearTimeout(overall);
          const status = response.statusCode ?? 0;
          resolve({
            status,
            ok: status >= 200 && status < 300,
            body: Buffer.concat(chunks).toString('utf8'),
            truncated,
          });
        };
        response.on('data', (chunk: Buffer) => {
          if (truncated) return;
          const room = maxBytes - received;
          if (chunk.length > room) {
            chunks.push(chunk.subarray(0, room));
            received = maxBytes;
            truncated = true;
            response.destroy();
            finish();
            return;
          }
          chunks.push(chunk);
          received += chunk.length;
        });
        response.on('end', () => {
          if (!truncated) finish();
        });
        response.on('error', (err) => {
          if (!truncated) fail(err);
        });
      },
    );
    const fail = (err: unknown): void => {
      clearTimeout(overall);
      request.destroy();
      reject(
        err instanceof MlflowError
          ? err
          : new MlflowError('TEMPORARILY_UNAVAILABLE', describeNetworkError(err)),
      );
    };
    const overall = setTimeout(
      () => fail(new Error(`timed out after ${options.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`)),
      options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    );
    request.on('timeout', () => fail(new Error('timed out waiting for the receiver')));
    request.on('error', fail);
    // Defence in depth: whatever path produced the socket, its peer must be public.
    request.on('socket', (socket) => {
      socket.once('connect', () => {
        const peer = socket.remoteAddress;
        if (!allowPrivate && peer && !isPublicAddress(peer)) fail(blocked(host, peer));
      });
    });
    request.end(body);
  });
}

function describeNetworkError(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return `Request failed: ${e?.code ? `${e.code} ` : ''}${e?.message ?? String(err)}`.slice(0, 500);
}
