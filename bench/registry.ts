/**
 * Registry benchmark (`npm run bench:registry`): model-version creation over real HTTP against a spawned
 * `tsx src/main.ts` on its own embedded PostgreSQL, exactly as `npm start` runs.
 *
 * 1. Sequential: N creates on one model; p50/p99 of the first and last 1,000 (goal: last p50 ≤ 1.5× first),
 *    because allocation must not slow down as a model accumulates versions.
 * 2. Parallel: C clients × K creates on one model; afterwards the model must hold exactly versions 1..C·K
 *    with C·K distinct semvers and no failed request (race-free allocation, issue 3).
 *
 * Prints a table and writes it to bench/results/registry.json. Exits 1 when a correctness check fails;
 * timing goals are reported, never asserted (the machine is shared).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import { positiveIntegerOptions } from './lib/integer-options';
import { requestJson } from './lib/json-request';
import { latencyStats as stats } from './lib/latency-stats';
import { gitCommit, machineInfo, writeResult } from './lib/results';
import { startSemreg } from './lib/semreg-server';
import type { SpawnedServer } from './lib/spawned-server';

const API = '/api/2.0/mlflow';
const WINDOW = 1000;

interface Options {
  versions: number;
  clients: number;
  perClient: number;
}

interface Server extends SpawnedServer {
  dataDir: string;
}

function parseOptions(): Options {
  const program = new Command()
    .name('bench:registry')
    .option('--versions <n>', 'sequential creates on one model', '10000')
    .option('--clients <n>', 'parallel clients', '20')
    .option('--per-client <n>', 'creates per parallel client', '250')
    .parse();
  const options = positiveIntegerOptions(
    program.opts<{ versions: string; clients: string; perClient: string }>(),
  );
  if (options.versions < 2 * WINDOW) throw new Error(`--versions must be at least ${2 * WINDOW}`);
  return options;
}

async function startServer(): Promise<Server> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'semreg-bench-'));
  // embedded PostgreSQL runs as an unprivileged user when we are root: it must reach the directory.
  fs.chmodSync(dataDir, 0o755);
  return { ...(await startSemreg(dataDir)), dataDir };
}

async function stopServer(server: Server): Promise<void> {
  await server.stop(); // Ctrl-C: the server also stops its embedded PostgreSQL
  fs.rmSync(server.dataDir, { recursive: true, force: true });
}

async function call(
  url: string,
  method: 'GET' | 'POST',
  body?: unknown,
): Promise<{ status: number; json: any }> {
  const { status, text } = await requestJson(url, method, body);
  return { status, json: JSON.parse(text) };
}

function source(): string {
  return `mlflow-artifacts:/0/${crypto.randomBytes(16).toString('hex')}/artifacts/model`;
}

/** Timed model-versions/create; returns the latency in ms and the answer. */
async function createVersion(
  baseUrl: string,
  name: string,
): Promise<{ ms: number; status: number; json: any }> {
  const start = performance.now();
  const res = await call(`${baseUrl}${API}/model-versions/create`, 'POST', { name, source: source() });
  return { ms: performance.now() - start, ...res };
}

async function createModel(baseUrl: string, name: string): Promise<void> {
  const res = await call(`${baseUrl}${API}/registered-models/create`, 'POST', { name });
  if (res.status !== 200) throw new Error(`create model ${name}: ${res.status} ${JSON.stringify(res.json)}`);
}

async function sequential(baseUrl: string, versions: number) {
  const name = 'bench-sequential';
  await createModel(baseUrl, name);
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  for (let i = 1; i <= versions; i += 1) {
    const res = await createVersion(baseUrl, name);
    latencies.push(res.ms);
    if (res.status !== 200 || res.json.model_version?.version !== String(i)) errors += 1;
  }
  const seconds = (performance.now() - started) / 1000;
  const first = stats(latencies.slice(0, WINDOW));
  const last = stats(latencies.slice(-WINDOW));
  return {
    versions,
    errors,
    seconds,
    perSecond: versions / seconds,
    first,
    last,
    ratioP50: last.p50 / first.p50,
  };
}

/** Every version of `name` via model-versions/search, following page tokens. */
async function listVersions(
  baseUrl: string,
  name: string,
): Promise<Array<{ version: string; semver?: string }>> {
  const all: Array<{ version: string; semver?: string }> = [];
  let pageToken: string | undefined;
  do {
    const query = new URLSearchParams({ filter: `name = '${name}'`, max_results: '10000' });
    if (pageToken) query.set('page_token', pageToken);
    const res = await call(`${baseUrl}${API}/model-versions/search?${query}`, 'GET');
    if (res.status !== 200) throw new Error(`search: ${res.status} ${JSON.stringify(res.json)}`);
    for (const mv of res.json.model_versions ?? []) {
      const semver = (mv.tags ?? []).find((t: { key: string }) => t.key === 'semver')?.value;
      all.push({ version: mv.version, semver });
    }
    pageToken = res.json.next_page_token || undefined;
  } while (pageToken);
  return all;
}

async function parallel(baseUrl: string, clients: number, perClient: number) {
  const name = 'bench-parallel';
  await createModel(baseUrl, name);
  const latencies: number[] = [];
  const failures: string[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = 0; i < perClient; i += 1) {
        const res = await createVersion(baseUrl, name).catch((err: Error) => ({
          ms: 0,
          status: 0,
          json: err.message,
        }));
        latencies.push(res.ms);
        if (res.status !== 200) failures.push(`${res.status} ${JSON.stringify(res.json)}`);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const total = clients * perClient;
  const listed = await listVersions(baseUrl, name);
  const numbers = new Set(listed.map((mv) => Number(mv.version)));
  const semvers = new Set(listed.map((mv) => mv.semver));
  const exactRange =
    numbers.size === total && [...numbers].every((n) => Number.isInteger(n) && n >= 1 && n <= total);
  return {
    clients,
    perClient,
    total,
    errors: failures.length,
    firstErrors: failures.slice(0, 5),
    seconds,
    perSecond: total / seconds,
    latency: stats(latencies),
    listed: listed.length,
    versionsExactly1toN: exactRange && listed.length === total,
    distinctSemvers: semvers.has(undefined) ? semvers.size - 1 : semvers.size,
  };
}

const ms = (x: number) => x.toFixed(2);

async function main(): Promise<void> {
  const options = parseOptions();
  const server = await startServer();
  try {
    console.log(`semreg at ${server.url}: ${options.versions} sequential creates…`);
    const seq = await sequential(server.url, options.versions);
    console.log(`${options.clients} clients × ${options.perClient} parallel creates…`);
    const par = await parallel(server.url, options.clients, options.perClient);

    const checks = {
      sequentialNoErrors: seq.errors === 0,
      lastP50WithinGoal: seq.ratioP50 <= 1.5,
      parallelNoErrors: par.errors === 0,
      parallelVersionsExactly1toN: par.versionsExactly1toN,
      parallelDistinctSemvers: par.distinctSemvers === par.total,
    };
    console.log('');
    console.table({
      [`sequential first ${WINDOW}`]: {
        p50_ms: ms(seq.first.p50),
        p99_ms: ms(seq.first.p99),
        mean_ms: ms(seq.first.mean),
      },
      [`sequential last ${WINDOW}`]: {
        p50_ms: ms(seq.last.p50),
        p99_ms: ms(seq.last.p99),
        mean_ms: ms(seq.last.mean),
      },
      [`parallel ${par.clients}×${par.perClient}`]: {
        p50_ms: ms(par.latency.p50),
        p99_ms: ms(par.latency.p99),
        mean_ms: ms(par.latency.mean),
      },
    });
    console.log(
      `sequential: ${seq.versions} creates in ${seq.seconds.toFixed(1)} s (${seq.perSecond.toFixed(0)}/s), ` +
        `errors ${seq.errors}, last/first p50 = ${seq.ratioP50.toFixed(2)} (goal ≤ 1.5)`,
    );
    console.log(
      `parallel: ${par.total} creates in ${par.seconds.toFixed(1)} s (${par.perSecond.toFixed(0)}/s), errors ${par.errors}, ` +
        `listed ${par.listed}, versions exactly 1..${par.total}: ${par.versionsExactly1toN}, distinct semvers ${par.distinctSemvers}`,
    );
    if (par.firstErrors.length) console.log('first parallel errors:', par.firstErrors);
    console.log('checks:', checks);

    const result = {
      benchmark: 'registry',
      date: new Date().toISOString(),
      commit: gitCommit(),
      machine: machineInfo(),
      options,
      sequential: seq,
      parallel: par,
      checks,
    };
    console.log(`written to ${writeResult('registry', result)}`);
    // Correctness failures fail the run; the latency goal is only reported (shared, noisy machines).
    if (
      !checks.sequentialNoErrors ||
      !checks.parallelNoErrors ||
      !checks.parallelVersionsExactly1toN ||
      !checks.parallelDistinctSemvers
    ) {
      process.exitCode = 1;
    }
  } finally {
    await stopServer(server);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
