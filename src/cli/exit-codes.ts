/**
 * Exit codes `semreg` scripts can rely on (documented in docs/cli.md). Each maps one class of failure, so a
 * CI job can tell "lost the promotion race" (4) from "server down" (7).
 */
export const EXIT = {
  OK: 0,
  /** A bug or an unexpected failure. */
  UNEXPECTED: 1,
  /** Bad command line (unknown option, malformed reference). */
  USAGE: 2,
  /** The model, version, alias or stage does not exist (HTTP 404). */
  NOT_FOUND: 3,
  /** Compare-and-set lost: the stage or alias changed meanwhile (HTTP 409). */
  CONFLICT: 4,
  /** A downloaded file's sha256 did not match. */
  INTEGRITY: 5,
  /** No token, or the token may not do this (HTTP 401/403). */
  AUTH: 6,
  /** The server could not be reached or failed (network error, HTTP 5xx). */
  UNAVAILABLE: 7,
  /** The server refused the request (other HTTP 4xx, e.g. a stage policy rule). */
  REJECTED: 8,
} as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function exitCodeForStatus(status: number): number {
  if (status === 401 || status === 403) return EXIT.AUTH;
  if (status === 404) return EXIT.NOT_FOUND;
  if (status === 409) return EXIT.CONFLICT;
  if (status >= 500) return EXIT.UNAVAILABLE;
  return EXIT.REJECTED;
}
