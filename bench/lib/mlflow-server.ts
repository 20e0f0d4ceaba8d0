import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '../../src/net/free-port';
import { waitUntilIdle } from './process-cpu';
import { REPO } from './results';
import { SpawnedServer, stopper, waitForHttp } from './spawned-server';

/**
 * The reference MLflow tracking server from PyPI, pinned, in a cached virtualenv `.venv-bench/` (gitignored by
 * the `.venv` pattern). The venv is rebuilt only when the pins change. psycopg2-binary is MLflow's PostgreSQL driver
 * (SQLAlchemy's default for `postgresql://`).
 */
export const MLFLOW_REQUIREMENTS = ['mlflow==3.17.2', 'psycopg2-binary==2.9.13'];

const VENV = path.join(REPO, '.venv-bench');
const MARKER = path.join(VENV, 'semreg-bench-requirements.txt');

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { stdio: 'inherit' });
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal})`);
}

export function ensureMlflowVenv(): string {
  const wanted = `${MLFLOW_REQUIREMENTS.join('\n')}\n`;
  const mlflow = path.join(VENV, 'bin/mlflow');
  if (fs.existsSync(mlflow) && fs.existsSync(MARKER) && fs.readFileSync(MARKER, 'utf8') === wanted)
    return mlflow;
  console.log(`installing ${MLFLOW_REQUIREMENTS.join(' ')} into .venv-bench/ (once)…`);
  if (!fs.existsSync(path.join(VENV, 'bin/python'))) run('python3', ['-m', 'venv', VENV]);
  run(path.join(VENV, 'bin/python'), [
    '-m',
    'pip',
    'install',
    '--quiet',
    '--disable-pip-version-check',
    ...MLFLOW_REQUIREMENTS,
  ]);
  fs.writeFileSync(MARKER, wanted);
  return mlflow;
}

export function mlflowVersion(mlflow: string): string {
  return spawnSync(mlflow, ['--version'], { encoding: 'utf8' }).stdout.trim();
}

/**
 * `mlflow server` as the docs show for a team server: PostgreSQL backend store, artifacts proxied
 * (`--serve-artifacts`) to a local directory, default worker count (uvicorn, 4 workers). Its security
 * middleware stays on: its default allow-list already accepts 127.0.0.1 on any port.
 */
export async function startMlflow(options: {
  mlflow: string;
  backendStoreUri: string;
  artifactsDir: string;
  workDir: string;
}): Promise<SpawnedServer> {
  const port = await freePort();
  const args = [
    'server',
    '--backend-store-uri',
    options.backendStoreUri,
    '--serve-artifacts',
    '--artifacts-destination',
    options.artifactsDir,
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
  ];
  const child = spawn(options.mlflow, args, {
    cwd: options.workDir,
    // MLflow leaves a `db_init_lock-<hash>` file in the temp directory for every store URL it opens: in the
    // work directory, it goes when the benchmark removes that.
    env: { ...process.env, MLFLOW_TRACKING_URI: undefined, TMPDIR: options.workDir },
    stdio: ['ignore', 'ignore', 'pipe'],
    // Own process group: stopping it reaches every worker, even when the arbiter dies first.
    detached: true,
  });
  // MLflow logs each request at INFO on stderr; keep only the tail for a startup failure.
  let tail = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/health`, child, 180_000, 'mlflow server');
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${tail}`);
  }
  // The first of its 4 workers answers while the others still import MLflow (several CPU seconds each): the
  // benchmarks measure semreg first, which would otherwise share the cores with that.
  await waitUntilIdle(child.pid as number, 'mlflow server');
  const stopArbiter = stopper(child);
  return {
    url,
    child,
    stop: async (graceMs = 30_000) => {
      await stopArbiter(graceMs);
      try {
        process.kill(-(child.pid as number), 'SIGKILL'); // leftover workers of the group, if any
      } catch {
        // group already gone
      }
    },
  };
}
