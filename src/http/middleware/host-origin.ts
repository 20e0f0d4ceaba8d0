import net from 'node:net';
import type { NextFunction, Request, Response } from 'express';
import type { AppContext } from '../../app-context';
import type { Config } from '../../config';
import { MlflowError } from '../../errors';

/**
 * DNS-rebinding and cross-site request guard (mlflow-compat.md §7 "Content type, CSRF and Host", issue 6
 * item 5). A web page an operator visits can point its own domain at 127.0.0.1 and then script requests
 * to semreg: the browser sends that domain as `Host`, so an unexpected `Host` is refused. A page on
 * another origin can also POST to semreg directly; browsers always send `Origin` on such calls, so a
 * foreign `Origin` on a state-changing method is refused. MLflow ≥ 3.5 ships the same checks
 * (mlflow/server/security.py: allowed hosts with wildcards, health endpoints exempt).
 *
 * Clients outside a browser (the MLflow client, curl, CI) send their own `Host` and no `Origin`, so they
 * pass unless they use a host name nobody configured — then ALLOWED_HOSTS is the fix the message names.
 */

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Kubernetes and load balancer probes send the pod IP as `Host`; a probe reveals nothing. */
const PROBE_PATHS = new Set(['/health', '/ready']);

/** Shown in error messages: only host-name characters, so nothing a client sent is reflected verbatim. */
function printable(value: string): string {
  return value.replace(/[^A-Za-z0-9./:[\]_-]/g, '?').slice(0, 100);
}

/** `host[:port]` → lower-case host name (brackets stripped from IPv6) and port string. */
function splitHost(hostHeader: string): { name: string; port: string } | undefined {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(hostHeader.trim());
  if (!match) return undefined;
  return { name: match[1].replace(/^\[|\]$/g, '').toLowerCase(), port: match[2] ?? '' };
}

function isLoopback(name: string): boolean {
  if (name === 'localhost' || name.endsWith('.localhost')) return true; // RFC 6761 §6.3
  if (net.isIPv4(name)) return name.startsWith('127.');
  if (net.isIPv6(name)) return name === '::1' || /^::ffff:127\./i.test(name);
  return false;
}

/** Glob match with `*` only, as MLflow's `--allowed-hosts` (`*.example.com`, `*`). */
function globMatch(pattern: string, value: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    'i',
  );
  return regex.test(value);
}

function parseUrl(url: string | undefined): URL | undefined {
  if (!url) return undefined;
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

function hostOf(url: string | undefined): string | undefined {
  return parseUrl(url)?.host.toLowerCase();
}

function isAllowedHost(config: Config, hostHeader: string): boolean {
  const parsed = splitHost(hostHeader);
  if (!parsed) return false;
  if (isLoopback(parsed.name)) return true;
  const full = parsed.port ? `${parsed.name}:${parsed.port}` : parsed.name;
  const configured = config.host.toLowerCase().replace(/^\[|\]$/g, '');
  if (parsed.name === configured && (parsed.port === '' || parsed.port === String(config.port))) return true;
  if (hostOf(config.publicUrl) === full || hostOf(config.publicUrl) === hostHeader.toLowerCase()) return true;
  return config.allowedHosts.some((pattern) => globMatch(pattern, full) || globMatch(pattern, parsed.name));
}

function normaliseOrigin(origin: string): string {
  return origin.trim().replace(/\/+$/, '').toLowerCase();
}

function isAllowedOrigin(config: Config, origin: string, hostHeader: string | undefined): boolean {
  const wanted = normaliseOrigin(origin);
  if (config.allowedOrigins.some((allowed) => allowed === '*' || normaliseOrigin(allowed) === wanted))
    return true;
  const publicOrigin = parseUrl(config.publicUrl)?.origin;
  if (publicOrigin && normaliseOrigin(publicOrigin) === wanted) return true;
  // Same origin: the page was served by this very host. `null` (sandboxed frames, file://) never is.
  const originHost = hostOf(origin);
  return (
    originHost !== undefined && hostHeader !== undefined && originHost === hostHeader.trim().toLowerCase()
  );
}

export function hostOriginGuard(app: AppContext) {
  const { config } = app;
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (PROBE_PATHS.has(req.path)) return next();
    const host = req.headers.host;
    // No Host at all is an HTTP/1.0 client, not a browser: a rebinding attack always carries one.
    if (host !== undefined && !isAllowedHost(config, host)) {
      return next(
        new MlflowError(
          'PERMISSION_DENIED',
          `Host header '${printable(host)}' is not allowed (DNS-rebinding protection). Add it to ALLOWED_HOSTS.`,
        ),
      );
    }
    const origin = req.headers.origin;
    if (origin !== undefined && STATE_CHANGING.has(req.method) && !isAllowedOrigin(config, origin, host)) {
      return next(
        new MlflowError(
          'PERMISSION_DENIED',
          `Cross-origin ${req.method} from '${printable(origin)}' is not allowed. Add the origin to ALLOWED_ORIGINS.`,
        ),
      );
    }
    next();
  };
}
