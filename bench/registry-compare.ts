/**
 * Registry benchmark against the reference server (`npm run bench:registry-compare`, issue 15): semreg and
 * `mlflow server` (PyPI, pinned, `.venv-bench/`) on ONE embedded PostgreSQL (a database each), the same
 * requests from the same client.
 *
 * 1. creates: `--clients` clients create versions of one model (`--versions` in all), then registered models
 *    (`--models` in all, one tag each). These also load the registry the reads run on.
 * 2. reads: every registry read and search the MLflow client issues, `--repeats` times each from one client
 *    after a warm-up: p50 and p99. The two servers take turns in blocks of `READ_BLOCK` calls (one request
 *    in flight at a time, the first block alternating, each block's first call untimed), so a shared
 *    machine that slows down for a minute slows both: run one after the other, the same server measured 2×
 *    apart in p50 an hour apart. Turns call by call were unfair the other way: the work the reference's
 *    workers still do after answering (its p50 is 5–300 ms) overlapped semreg's next call on two cores and
 *    put 0.2–0.6 ms on semreg's p50. A third server takes its turns too: semreg's own read services on
 *    semreg's database behind a bare node:http server (`lib/minimal-read-server.ts`), the floor of semreg's
 *    latency on this machine; `mlflow / minimal` is the most any semreg could reach here.
 *
 * Goals (issue 15): creates ≥ 5× MLflow's throughput; reads ≥ 10× faster at p50 and ≥ 5× at p99 (with
 * 10,000 models and 10,000 versions of one model: the default sizes). Reported, never asserted; exit code 1
 * only when a request fails.
 */
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import { LoadResult, runClients } from './lib/concurrent-clients';
import { positiveIntegerOptions } from './lib/integer-options';
import { requestOk } from './lib/json-request';
import { latencyStats, LatencyStats } from './lib/latency-stats';
import { fixed, markdownTable } from './lib/markdown-table';
import { gitCommit, machineInfo, writeResult } from './lib/results';
import { forEachServer, PerServer, SERVERS, startSideBySide } from './lib/side-by-side';
import { SpawnedServer, startTsxServer } from './lib/spawned-server';
import { freePort } from '../src/net/free-port';

const API = '/api/2.0/mlflow';
const READ_BLOCK = 50;

interface Options {
  clients: number;
  versions: number;
  models: number;
  repeats: number;
}

function parseOptions(): Options {
  const raw = new Command()
    .name('bench:registry-compare')
    .option('--clients <n>', 'concurrent clients for the creates', '20')
    .option('--versions <n>', 'versions created on one model', '10000')
    .option('--models <n>', 'registered models created', '10000')
    .option('--repeats <n>', 'timed repetitions of each read (after one warm-up)', '500')
    .parse()
    .opts<Record<keyof Options, string>>();
  return positiveIntegerOptions(raw);
}

async function call(base: string, method: 'GET' | 'POST', endpoint: string, body?: unknown): Promise<any> {
  return requestOk(`${base}${API}/${endpoint}`, method, body);
}

const modelName = (i: number) => `model-${String(i).padStart(5, '0')}`;

/** Versions of model `big` from `clients` clients, each with a run of its own as lineage. */
async function createVersions(base: string, options: Options): Promise<LoadResult> {
  const experiment = (await call(base, 'POST', 'experiments/create', { name: 'bench-registry' }))
    .experiment_id;
  const runs: string[] = [];
  for (let c = 0; c < options.clients; c += 1) {
    runs.push((await call(base, 'POST', 'runs/create', { experiment_id: experiment })).run.info.run_id);
  }
  await call(base, 'POST', 'registered-models/create', { name: 'big' });
  const perClient = Math.ceil(options.versions / options.clients);
  return runClients(options.clients, perClient, async (client) => {
    await call(base, 'POST', 'model-versions/create', {
      name: 'big',
      source: `runs:/${runs[client]}/model`,
      run_id: runs[client],
    });
    return undefined;
  });
}

async function createModels(base: string, options: Options): Promise<LoadResult> {
  const perClient = Math.ceil(options.models / options.clients);
  return runClients(options.clients, perClient, async (client, i) => {
    const n = client * perClient + i;
    await call(base, 'POST', 'registered-models/create', {
      name: modelName(n),
      tags: [{ key: 'team', value: `team-${n % 100}` }],
    });
    return undefined;
  });
}

/** The reads, as the MLflow client sends them (search_* with its default page sizes). */
function reads(options: Options): [string, 'GET' | 'POST', string, unknown?][] {
  const some = modelName(Math.floor(options.models / 2));
  const prefix = some.slice(0, -2);
  const version = String(Math.floor(options.versions / 2));
  const filter = (f: string) => encodeURIComponent(f);
  return [
    ['get registered model', 'GET', `registered-models/get?name=${some}`],
    ['get model version', 'GET', `model-versions/get?name=big&version=${version}`],
    ['get version by alias', 'GET', 'registered-models/alias?name=big&alias=champion'],
    ['get-latest-versions', 'POST', 'registered-models/get-latest-versions', { name: 'big' }],
    ['search models: name = …', 'GET', `registered-models/search?filter=${filter(`name = '${some}'`)}`],
    [
      'search models: name LIKE prefix%',
      'GET',
      `registered-models/search?filter=${filter(`name LIKE '${prefix}%'`)}`,
    ],
    [
      'search models: tag',
      'GET',
      `registered-models/search?filter=${filter("tags.team = 'team-42'")}&max_results=100`,
    ],
    ['search models: first page', 'GET', 'registered-models/search?max_results=100'],
    [
      'search versions: one model',
      'GET',
      `model-versions/search?filter=${filter("name = 'big'")}&max_results=100`,
    ],
  ];
}

/** The servers the reads are timed on: both side by side, and semreg's services behind a bare node:http server. */
const READERS = [...SERVERS, 'minimal'] as const;
type Reader = (typeof READERS)[number];
type PerReader<T> = Record<Reader, T>;

/** `bench/lib/minimal-read-server.ts` on semreg's database, as its own process. */
async function startMinimalReadServer(databaseUrl: string): Promise<SpawnedServer> {
  const port = await freePort();
  return startTsxServer({
    script: 'bench/lib/minimal-read-server.ts',
    args: [databaseUrl, String(port)],
    port,
    label: 'minimal read server',
    timeoutMs: 60_000,
  });
}

async function timedReads(
  servers: PerReader<SpawnedServer>,
  options: Options,
): Promise<PerReader<Record<string, LatencyStats>>> {
  const out: PerReader<Record<string, LatencyStats>> = { semreg: {}, mlflow: {}, minimal: {} };
  for (const name of SERVERS)
    await call(servers[name].url, 'POST', 'registered-models/alias', {
      name: 'big',
      alias: 'champion',
      version: '1',
    });
  for (const [read, method, endpoint, body] of reads(options)) {
    const latencies: PerReader<number[]> = { semreg: [], mlflow: [], minimal: [] };
    for (const name of READERS) await call(servers[name].url, method, endpoint, body); // warm-up
    for (let done = 0, turn = 0; done < options.repeats; done += READ_BLOCK, turn += 1) {
      // Each block starts with another server, so none always follows the same one.
      const first = turn % READERS.length;
      for (const name of [...READERS.slice(first), ...READERS.slice(0, first)]) {
        await call(servers[name].url, method, endpoint, body);
        for (let i = done; i < Math.min(done + READ_BLOCK, options.repeats); i += 1) {
          const t0 = performance.now();
          await call(servers[name].url, method, endpoint, body);
          latencies[name].push(performance.now() - t0);
        }
      }
    }
    for (const name of READERS) out[name][read] = latencyStats(latencies[name]);
  }
  return out;
}

interface Row {
  measure: string;
  semreg: number;
  mlflow: number;
  unit: string;
  /** semreg's advantage: throughput ratio, or MLflow's latency / semreg's. */
  ratio: number;
  goal: number;
  /** Reads only: the minimal read server's latency, the floor of semreg's own. */
  minimal?: number;
}

function rows(
  creates: PerServer<LoadResult>[],
  labels: string[],
  readStats: PerReader<Record<string, LatencyStats>>,
): Row[] {
  const out: Row[] = creates.map((result, i) => ({
    measure: labels[i],
    semreg: result.semreg.perSecond,
    mlflow: result.mlflow.perSecond,
    unit: 'req/s',
    ratio: result.semreg.perSecond / result.mlflow.perSecond,
    goal: 5,
  }));
  for (const name of Object.keys(readStats.semreg)) {
    for (const [p, goal] of [
      ['p50', 10],
      ['p99', 5],
    ] as const) {
      const s = readStats.semreg[name][p];
      const m = readStats.mlflow[name][p];
      const minimal = readStats.minimal[name][p];
      out.push({ measure: `${name} ${p}`, semreg: s, mlflow: m, unit: 'ms', ratio: m / s, goal, minimal });
    }
  }
  return out;
}

async function main(): Promise<void> {
  const options = parseOptions();
  const sideBySide = await startSideBySide('registry');
  try {
    const all = sideBySide.servers;
    console.log(`${options.versions} versions of one model, ${options.clients} clients…`);
    const versions = await forEachServer(all, 'version creates', (_, s) => createVersions(s.url, options));
    console.log(`${options.models} registered models, ${options.clients} clients…`);
    const models = await forEachServer(all, 'model creates', (_, s) => createModels(s.url, options));
    console.log(`reads, ${options.repeats} each, the servers taking turns…`);
    const minimal = await startMinimalReadServer(sideBySide.databases.semreg);
    const readStats = await timedReads({ ...all, minimal }, options).finally(() => minimal.stop());

    const table = rows(
      [versions, models],
      [
        `create versions of one model (${options.clients} clients)`,
        `create registered models (${options.clients} clients)`,
      ],
      readStats,
    );
    const markdown = markdownTable(
      ['measure', 'semreg', 'mlflow', 'ratio', 'goal', '', 'minimal server', 'mlflow / minimal'],
      table.map((r) => [
        r.measure,
        `${fixed(r.semreg, r.unit === 'ms' ? 1 : 0)} ${r.unit}`,
        `${fixed(r.mlflow, r.unit === 'ms' ? 1 : 0)} ${r.unit}`,
        `${fixed(r.ratio, 1)}×`,
        `≥ ${r.goal}×`,
        r.ratio >= r.goal ? 'met' : 'missed',
        r.minimal === undefined ? '–' : `${fixed(r.minimal, 2)} ms`,
        r.minimal === undefined ? '–' : `${fixed(r.mlflow / r.minimal, 1)}×`,
      ]),
    );
    console.log(`\n${markdown}\n`);
    const errors = [versions, models]
      .flatMap((r) => SERVERS.map((n) => r[n].errors))
      .reduce((a, b) => a + b, 0);
    for (const n of SERVERS)
      for (const r of [versions[n], models[n]])
        if (r.firstErrors.length) console.log(`${n} errors:`, r.firstErrors);
    const written = writeResult('registry-compare', {
      benchmark: 'registry-compare',
      date: new Date().toISOString(),
      commit: gitCommit(),
      machine: machineInfo(),
      mlflow: sideBySide.mlflowVersion,
      options,
      creates: { versions, models },
      reads: readStats,
      table,
    });
    console.log(`written to ${written}`);
    if (errors > 0) process.exitCode = 1;
  } finally {
    await sideBySide.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
