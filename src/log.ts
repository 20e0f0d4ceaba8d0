import pino, { DestinationStream, Logger } from 'pino';
import type { PrettyOptions } from 'pino-pretty';

export type { Logger };

/**
 * Structured JSON logs on stdout. Credentials never reach a log line: request lines carry no headers (and
 * the authorization headers are redacted wherever a request is logged whole), and query parameters that carry
 * one (a signed link's `signature`, tokens some clients send in the query string, S3 presigned credentials)
 * are redacted whatever logs the URL.
 *
 * stdout is written asynchronously: a synchronous write per request line cost about 2 ms of every request on
 * a busy server (measured with `bench:registry-compare`). Lines are also gathered into writes of 4 KiB, or
 * whatever 200 ms brought: a write per line cost the main thread and the thread pool about 40 µs of CPU per
 * request (a tenth of a registry read). pino flushes what is pending when the process exits; `flushLog`
 * before the port opens, so what start-up said is out before the first answer.
 * On a terminal the lines are for a person instead: `humanReadable`.
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
  return pino(options, destination ?? (process.stdout.isTTY ? humanReadable() : batchedDestination(1)));
}

/** The JSON lines' destination: asynchronous writes of 4 KiB, or of what 200 ms brought. */
export function batchedDestination(fd: number) {
  return pino.destination({ dest: fd, sync: false, minLength: 4096, periodicFlush: 200 });
}

/** Resolves once every line logged so far has been written. */
export function flushLog(log: Logger): Promise<void> {
  return new Promise((resolve) => log.flush(() => resolve()));
}

interface RequestLine {
  req?: { method?: string; url?: string };
  res?: { statusCode?: number };
  responseTime?: number;
}

/**
 * What `npm start` prints on a terminal: one line per entry, a request as `GET /url → 200 3 ms` (no headers,
 * no JSON), other entries as their message with their fields on the same line. JSON stays the format for
 * everything that reads logs (a pipe, a file, a container runtime).
 */
export function humanReadable(destination: DestinationStream | NodeJS.WritableStream = process.stdout) {
  // Loaded only for a terminal: a server writing JSON (the benchmarks' idle-memory figure) never pays for it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pretty = require('pino-pretty') as (options: PrettyOptions) => DestinationStream;
  return pretty({
    destination,
    sync: true,
    colorize: destination === process.stdout,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,req,res,responseTime,reqId',
    messageFormat: (log, messageKey) => {
      const { req, res, responseTime } = log as RequestLine;
      if (!req || !res) return String(log[messageKey] ?? '');
      return `${req.method} ${req.url} → ${res.statusCode} ${responseTime ?? '?'} ms`;
    },
  });
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

/** The request in a request line (http/middleware/request-log.ts): no headers, no credentials. */
export function requestForLog(req: {
  id: number;
  method: string;
  url: string;
  query: Record<string, unknown>;
  remoteAddress?: string;
}) {
  return {
    id: req.id,
    method: req.method,
    url: redactUrl(req.url),
    query: redactQuery(req.query),
    remoteAddress: req.remoteAddress,
  };
}
