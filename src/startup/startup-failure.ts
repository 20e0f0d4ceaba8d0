/**
 * Why semreg cannot start, worded for whoever started it: the cause and the fix on one line. `main.ts`
 * prints the message alone (no stack trace) and exits with status 1.
 */
export class StartupFailure extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StartupFailure';
  }
}

function errnoCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** The first non-empty line of an error's message, for failures nothing here recognises. */
export function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return (
    message
      .split('\n')
      .map((line) => line.trim())
      .find(Boolean) ?? 'unknown error'
  );
}

/**
 * A file-system error met while preparing `dir` (named by its setting, e.g. DATA_DIR) as a startup failure,
 * or undefined when the error is not about the directory itself.
 */
export function explainDirectoryError(
  err: unknown,
  setting: string,
  dir: string,
): StartupFailure | undefined {
  const code = errnoCode(err);
  const cause = { cause: err };
  switch (code) {
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new StartupFailure(
        `${setting} ${dir} is not writable (${code}): set ${setting} to a directory this user can write, or fix its permissions`,
        cause,
      );
    case 'ENOTDIR':
    case 'EEXIST':
      return new StartupFailure(
        `${setting} ${dir} is not a directory (a file is in the way, ${code}): set ${setting} to a directory`,
        cause,
      );
    case 'ENOSPC':
    case 'EDQUOT':
      return new StartupFailure(
        `no space left on the disk of ${setting} ${dir} (${code}): free space or set ${setting} to another disk, then start again`,
        cause,
      );
    default:
      return undefined;
  }
}
