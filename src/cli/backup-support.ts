import cliProgress from 'cli-progress';
import { BackupError, BackupErrorKind } from '../backup/backup-error';
import type { Manifest } from '../backup/manifest';
import { Config, loadConfig } from '../config';
import { MlflowError } from '../errors';
import { firstLine, StartupFailure } from '../startup/startup-failure';
import { Env, INTERRUPTED } from './command-io';
import { CliError, EXIT } from './exit-codes';

/** What `semreg backup` and `semreg restore` share: settings, error wording, Ctrl-C and progress. */
export type { Env, Io } from './command-io';

/** Without a terminal, a progress line every this many files. */
const PROGRESS_EVERY = 100;

const EXIT_FOR: Record<BackupErrorKind, number> = {
  usage: EXIT.USAGE,
  integrity: EXIT.INTEGRITY,
  refused: EXIT.REJECTED,
  unavailable: EXIT.UNAVAILABLE,
};

/** Every failure as one line with its exit code; a stack trace helps no operator here. */
export async function asCliErrors<T>(command: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof CliError) throw err;
    if (err instanceof BackupError) throw new CliError(err.message, EXIT_FOR[err.kind]);
    if (err instanceof StartupFailure || err instanceof MlflowError)
      throw new CliError(`${command}: ${err.message}`, EXIT.UNAVAILABLE);
    throw new CliError(`${command} failed: ${firstLine(err)}`, EXIT.UNEXPECTED);
  }
}

/**
 * Ctrl-C asks the command to stop between two files or tables instead of killing it mid-write, so a restore
 * can undo what it wrote and both can say what state they leave.
 */
export async function interruptible<T>(
  message: string,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  process.once('SIGINT', interrupt);
  try {
    return await work(controller.signal);
  } catch (err) {
    if (controller.signal.aborted) throw new CliError(message, INTERRUPTED);
    throw err;
  } finally {
    process.off('SIGINT', interrupt);
  }
}

export function settings(env: Env): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    throw new CliError((err as Error).message, EXIT.USAGE);
  }
}

export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** A bar over files on a terminal, else a line at the start and every PROGRESS_EVERY files. */
export function fileProgress(bar: boolean, label: string, err: (line: string) => void) {
  const progress = bar
    ? new cliProgress.SingleBar(
        { format: `${label} {bar} {value}/{total} files | {key}`, hideCursor: true },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  let done = 0;
  let total = 0;
  return {
    start(files: number, bytes: number): void {
      done = 0;
      total = files;
      if (progress) progress.start(files, 0, { key: '' });
      else err(`${label}: ${plural(files, 'file')} (${bytes} bytes)`);
    },
    file(key: string): void {
      done += 1;
      if (progress) progress.update(done, { key });
      else if (done % PROGRESS_EVERY === 0) err(`${label}: ${done}/${total} files`);
    },
    stop(): void {
      progress?.stop();
    },
  };
}

export const rowCount = (manifest: Manifest) => manifest.tables.reduce((sum, t) => sum + t.rows, 0);
