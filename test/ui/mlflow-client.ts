import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The real MLflow client (the compat venv that `npm test` prepares before jest) and curl, run as child
 * processes. Always spawned asynchronously: the server they call lives in this jest process, so a synchronous
 * exec would block the event loop that has to answer them.
 */
export const VENV_PYTHON = path.resolve(__dirname, '../../.venv-compat/bin/python');

export const missingMlflowClient = fs.existsSync(VENV_PYTHON)
  ? undefined
  : `the MLflow client (${VENV_PYTHON}: \`npm test\` builds it, or \`bash test/compat/run.sh --prepare\`)`;

export function run(command: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`${command} exited with ${code}:\n${stderr}`)),
    );
  });
}

/** Runs populate_with_mlflow.py against `url`; returns the ids it printed on its last line. */
export async function populateWithMlflow(
  url: string,
  name: string,
  token?: string,
): Promise<{ run_id: string; experiment_id: string }> {
  const stdout = await run(VENV_PYTHON, [path.join(__dirname, 'populate_with_mlflow.py'), name], {
    MLFLOW_TRACKING_URI: url,
    ...(token ? { MLFLOW_TRACKING_TOKEN: token } : {}),
    // A refusal should fail the test at once, not after the client's minutes of retries.
    MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0',
    MLFLOW_DISABLE_TELEMETRY: 'true',
  });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}
