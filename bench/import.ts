/**
 * Import benchmark (`npm run bench:import`, issue 16): a reference `mlflow server` (`.venv-bench/`, SQLite
 * backend, proxied artifacts) is filled with R runs × M metrics × S steps through its REST API (one log-batch
 * per 1000 points), then `semreg import-mlflow --from <it>` copies it into a fresh semreg (`node dist/main.js`
 * on its own embedded PostgreSQL, serving meanwhile, as in a real migration). Reports runs/s and metric
 * points/s of the import, and the time of `--verify` on the same data.
 *
 * Prints a markdown table and writes bench/results/import.json. The exit code is 1 only when the import or
 * the verification fails.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import { runClients } from './lib/concurrent-clients';
import { positiveIntegerOptions } from './lib/integer-options';
import { fixed, markdownTable } from './lib/markdown-table';
import { ensureMlflowVenv, mlflowVersion, startMlflow } from './lib/mlflow-server';
import { gitCommit, machineInfo, REPO, writeResult } from './lib/results';
import { startSemreg } from './lib/semreg-server';
import { mlflowPost } from './lib/mlflow-post';

const POINTS_PER_BATCH = 1000;

interface Options {
  runs: number;
  metrics: number;
  steps: number;
  clients: number;
  concurrency: number;
}

function parseOptions(): Options {
  const raw = new Command()
    .name('bench:import')
    .option('--runs <n>', 'runs in the source', '10000')
    .option('--metrics <n>', 'metric keys per run', '10')
    .option('--steps <n>', 'steps per metric', '100')
    .option('--clients <n>', 'concurrent clients filling the source', '4')
    .option('--concurrency <n>', "the import's --concurrency", '4')
    .parse()
    .opts<Record<keyof Options, string>>();
  return positiveIntegerOptions(raw);
}

/** One run: created, every point logged in batches of 1000, finished. */
async function fillRun(base: string, experimentId: string, i: number, options: Options): Promise<void> {
  const start = 1_700_000_000_000 + i * 1000;
  const { run } = await mlflowPost(base, 'runs/create', {
    experiment_id: experimentId,
    start_time: start,
    run_name: `r${i}`,
  });
  const runId = run.info.run_id as string;
  const points = [];
  for (let m = 0; m < options.metrics; m += 1)
    for (let step = 0; step < options.steps; step += 1)
      points.push({ key: `m${m}`, value: Math.sin(i + m + step), timestamp: start + step, step });
  for (let at = 0; at < points.length; at += POINTS_PER_BATCH)
    await mlflowPost(base, 'runs/log-batch', {
      run_id: runId,
      metrics: points.slice(at, at + POINTS_PER_BATCH),
    });
  await mlflowPost(base, 'runs/log-parameter', {
    run_id: runId,
    run_uuid: runId,
    key: 'i',
    value: String(i),
  });
  await mlflowPost(base, 'runs/update', {
    run_id: runId,
    run_uuid: runId,
    status: 'FINISHED',
    end_time: start + 999,
  });
}

function semregCli(
  args: string[],
  dataDir: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO, 'bin/semreg.js'), ...args], {
      cwd: REPO,
      env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: undefined },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function main(): Promise<void> {
  const options = parseOptions();
  const mlflow = ensureMlflowVenv();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'semreg-bench-import-'));
  fs.chmodSync(work, 0o755);
  const semregData = path.join(work, 'semreg');
  fs.mkdirSync(semregData, { mode: 0o755 });
  const reference = await startMlflow({
    mlflow,
    backendStoreUri: `sqlite:///${path.join(work, 'mlflow.db')}`,
    artifactsDir: path.join(work, 'mlflow-artifacts'),
    workDir: work,
  });
  const semreg = await startSemreg(semregData);
  let failed = false;
  try {
    const { experiment_id: experimentId } = await mlflowPost(reference.url, 'experiments/create', {
      name: 'bench-import',
    });
    const perClient = Math.ceil(options.runs / options.clients);
    const fill = await runClients(options.clients, perClient, async (client, i) => {
      const index = client * perClient + i;
      if (index < options.runs) await fillRun(reference.url, experimentId, index, options);
      return undefined;
    });
    if (fill.errors) throw new Error(`filling the source failed: ${fill.firstErrors.join('; ')}`);
    const points = options.runs * options.metrics * options.steps;
    console.log(
      `source: ${options.runs} runs, ${points} metric points in ${fixed(fill.seconds)} s (${mlflowVersion(mlflow)})`,
    );

    const t0 = performance.now();
    const imported = await semregCli(
      [
        'import-mlflow',
        '--from',
        reference.url,
        '--no-progress',
        '--concurrency',
        String(options.concurrency),
      ],
      semregData,
    );
    const importSeconds = (performance.now() - t0) / 1000;
    if (imported.code !== 0)
      throw new Error(`import failed (${imported.code}):\n${imported.stdout}\n${imported.stderr}`);

    const t1 = performance.now();
    const verified = await semregCli(
      ['import-mlflow', '--from', reference.url, '--no-progress', '--verify'],
      semregData,
    );
    const verifySeconds = (performance.now() - t1) / 1000;
    if (verified.code !== 0) {
      failed = true;
      console.error(`verify failed (${verified.code}):\n${verified.stdout.slice(-4000)}\n${verified.stderr}`);
    }
    const rows = [
      ['runs imported per second', fixed(options.runs / importSeconds)],
      ['metric points imported per second', fixed(points / importSeconds, 0)],
      ['import wall time', `${fixed(importSeconds)} s`],
      ['re-run with --verify (nothing left to import)', `${fixed(verifySeconds)} s`],
    ];
    console.log(markdownTable(['measure', 'semreg import-mlflow'], rows));
    const file = writeResult('import', {
      commit: gitCommit(),
      machine: machineInfo(),
      options,
      mlflow: mlflowVersion(mlflow),
      metricPoints: points,
      fillSeconds: fill.seconds,
      importSeconds,
      runsPerSecond: options.runs / importSeconds,
      metricPointsPerSecond: points / importSeconds,
      verifySeconds,
      verified: verified.code === 0,
    });
    console.log(`written to ${file}`);
  } finally {
    await semreg.stop();
    await reference.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
  if (failed) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
