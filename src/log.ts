import pino, { Logger } from 'pino';

export type { Logger };

/** Structured JSON logs on stdout. Authorization headers and token secrets never reach a log line. */
export function createLogger(level: string): Logger {
  return pino({
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
  });
}
