/** Where a command run beside the server (storage migrate, backup, restore, import-mlflow) writes its lines. */
export interface Io {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/** The environment a command reads its settings from (process.env, or a test's). */
export type Env = Record<string, string | undefined>;

/** The shell's status for a command stopped by Ctrl-C (128 + SIGINT). */
export const INTERRUPTED = 130;
