import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { REPO } from './results';

export interface SpawnedServer {
  readonly url: string;
  readonly child: ChildProcess;
  /** SIGINT (the servers shut down cleanly on it), SIGKILL after `graceMs`; resolves once the child exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Polls `url` until it answers 200; fails early when the child exits, late after `timeoutMs`. */
export async function waitForHttp(
  url: string,
  child: ChildProcess,
  timeoutMs: number,
  label: string,
  intervalMs = 250,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${label} exited (${child.exitCode ?? child.signalCode}) during startup`);
    }
    const ok = await fetch(url).then(
      (res) => res.status === 200,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${label}: ${url} not 200 after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export function stopper(child: ChildProcess): (graceMs?: number) => Promise<void> {
  return async (graceMs = 60_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
}

/**
 * Runs `command args…` in this repository until `http://127.0.0.1:<port>/health` is 200. Its stderr goes to
 * ours; its stdout too, or with `discardStdout` into a pipe that is read and dropped (a request log written
 * as a real deployment writes it, without flooding the benchmark's output).
 */
export async function startHttpServer(options: {
  command: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  port: number;
  label: string;
  timeoutMs: number;
  discardStdout?: boolean;
}): Promise<SpawnedServer> {
  const child = spawn(options.command, options.args, {
    cwd: REPO,
    env: options.env ?? process.env,
    stdio: ['ignore', options.discardStdout ? 'pipe' : 'inherit', 'inherit'],
  });
  child.stdout?.resume();
  const url = `http://127.0.0.1:${options.port}`;
  await waitForHttp(`${url}/health`, child, options.timeoutMs, options.label);
  return { url, child, stop: stopper(child) };
}

/** A TypeScript entry point of this repository (a benchmark's own helper server), run with tsx. */
export function startTsxServer(options: {
  script: string;
  args?: readonly string[];
  env?: NodeJS.ProcessEnv;
  port: number;
  label: string;
  timeoutMs: number;
}): Promise<SpawnedServer> {
  const { script, args, ...rest } = options;
  return startHttpServer({
    ...rest,
    command: path.join(REPO, 'node_modules/.bin/tsx'),
    args: [script, ...(args ?? [])],
  });
}
