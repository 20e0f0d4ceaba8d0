import pino, { DestinationStream, Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs on stdout. Credentials never reach a log line: the authorization headers are
 * redacted, and so are query parameters that carry one (a signed link's `signature`, tokens some clients
 * send in the query string, S3 presigned credentials), whatever logs the URL.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers["private-token"]',
        'req.headers["job-token"]',
        'req.headers["deploy-token"]',
        'req.headers.cookie',
      ],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

const SECRET_PARAMETER = /token|signature|secret|password|credential|^sig$|^key$/i;

/** The URL with the value of every credential-like query parameter replaced by `[redacted]`. */
export function redactUrl(url: string): string {
  const query = url.indexOf('?');
  if (query < 0) return url;
  const params = url
    .slice(query + 1)
    .split('&')
    .map((param) => {
      const equals = param.indexOf('=');
      const rawName = equals < 0 ? param : param.slice(0, equals);
      let name = rawName;
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      } catch {
        // an undecodable name is logged as sent
      }
      return equals >= 0 && SECRET_PARAMETER.test(name) ? `${rawName}=[redacted]` : param;
    });
  return `${url.slice(0, query)}?${params.join('&')}`;
}

/** A parsed query object with the same parameters redacted. */
export function redactQuery(query: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(query).map(([name, value]) => [name, SECRET_PARAMETER.test(name) ? '[redacted]' : value]),
  );
}

/** pino-http's request serializer hook: the logged URL and query without credentials. */
export function redactRequest<T extends { url?: string; query?: Record<string, unknown> }>(req: T): T {
  if (req.url) req.url = redactUrl(req.url);
  if (req.query && typeof req.query === 'object') req.query = redactQuery(req.query);
  return req;
}
