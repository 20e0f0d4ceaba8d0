/**
 * `npm run bench` (issue 15): every benchmark in sequence, then one markdown table of the figures that have a
 * goal or a reference — measure, semreg, MLflow, ratio, goal, met/missed — printed and written to
 * bench/results/summary.md. `--quick` runs each with small sizes (a few minutes in all: a smoke run of the
 * whole suite, whose figures are not the goals' sizes); without it, each runs at its documented defaults.
 *
 * Each benchmark is its own process and writes bench/results/<name>.json; the table is read from those files,
 * so a benchmark that failed shows as failed rather than with an old figure. `--only packages,storage` runs
 * those again and keeps the others' last results (a full run takes about 25 minutes).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { fixed, markdownTable } from './lib/markdown-table';
import { REPO } from './lib/results';

interface Step {
  name: string;
  quick: string[];
  full: string[];
}

const STEPS: Step[] = [
  { name: 'startup', quick: ['--runs', '1'], full: [] },
  {
    name: 'registry-compare',
    quick: ['--versions', '1000', '--models', '1000', '--repeats', '30'],
    // Its own default of 500 repeats: a p99 of 50 samples is their maximum.
    full: [],
  },
  {
    name: 'tracking',
    quick: [
      ...['--clients', '5', '--small-batches', '10', '--large-batches', '2'],
      ...['--runs', '1000', '--search-repeats', '3', '--artifact-mib', '128'],
    ],
    full: [],
  },
  {
    name: 'packages',
    quick: ['--file-mib', '128', '--parallel', '2', '--parallel-mib', '16', '--repeats', '1'],
    full: [],
  },
  { name: 'registry', quick: ['--versions', '2000', '--clients', '4', '--per-client', '50'], full: [] },
  { name: 'events', quick: ['--promotions', '100', '--webhooks', '2', '--no-kill'], full: [] },
  {
    name: 'storage',
    quick: ['--file-mib', '64', '--parallel', '2', '--parallel-mib', '16', '--repeats', '1'],
    full: [],
  },
];

type Row = [measure: string, semreg: string, mlflow: string, ratio: string, goal: string, verdict: string];

const resultFile = (name: string) => path.join(REPO, 'bench/results', `${name}.json`);

function read(name: string): any {
  return JSON.parse(fs.readFileSync(resultFile(name), 'utf8'));
}

const verdict = (met: boolean) => (met ? 'met' : 'missed');
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function startupRows(r: any): Row[] {
  const f = r.figures;
  return [
    [
      'first start incl. initdb → /health',
      `${fixed(f.firstStartMs, 0)} ms`,
      '–',
      '–',
      '< 3000 ms',
      verdict(r.goals.firstStartMs),
    ],
    ['restart → /health', `${fixed(f.restartMs, 0)} ms`, '–', '–', '< 1000 ms', verdict(r.goals.restartMs)],
    [
      'idle RSS of the semreg process (40 s after start)',
      `${fixed(f.idleRssBytes / 2 ** 20, 0)} MiB`,
      '–',
      '–',
      '< 100 MiB',
      verdict(r.goals.idleRssBytes),
    ],
  ];
}

function registryCompareRows(r: any): Row[] {
  return r.table.map((row: any): Row => {
    const digits = row.unit === 'ms' ? 1 : 0;
    return [
      row.measure,
      `${fixed(row.semreg, digits)} ${row.unit}`,
      `${fixed(row.mlflow, digits)} ${row.unit}`,
      `${fixed(row.ratio, 1)}×`,
      `≥ ${row.goal}×`,
      verdict(row.ratio >= row.goal),
    ];
  });
}

function trackingRows(r: any): Row[] {
  const pair = (measure: string, s: number, m: number, unit: string, goal?: number): Row => [
    measure,
    `${fixed(s, 0)} ${unit}`,
    `${fixed(m, 0)} ${unit}`,
    `${fixed(s / m, 2)}×`,
    goal === undefined ? '–' : `≥ ${goal}×`,
    goal === undefined ? 'reported' : verdict(s / m >= goal),
  ];
  const a = r.artifacts;
  return [
    pair('log-batch, 10 metrics', r.logBatch10.semreg.perSecond, r.logBatch10.mlflow.perSecond, 'req/s'),
    pair(
      'log-batch, 1000 metrics',
      r.logBatch1000.semreg.perSecond,
      r.logBatch1000.mlflow.perSecond,
      'req/s',
    ),
    pair(
      'artifact upload through the proxy',
      a.semreg.upload.mbPerSecond,
      a.mlflow.upload.mbPerSecond,
      'MB/s',
      1,
    ),
    pair(
      'artifact download through the proxy',
      a.semreg.download.mbPerSecond,
      a.mlflow.download.mbPerSecond,
      'MB/s',
    ),
  ];
}

function packagesRows(r: any): Row[] {
  const versusMinimal = (what: string, transfers: any[], minimal: number | undefined): Row => {
    const semreg = median(transfers.map((t: any) => t.mbPerSecond));
    return minimal === undefined
      ? [what, `${fixed(semreg, 0)} MB/s`, 'not run (older result)', '–', '≥ 90 %', 'missed']
      : [
          what,
          `${fixed(semreg, 0)} MB/s`,
          `${fixed(minimal, 0)} MB/s (minimal)`,
          `${fixed((100 * semreg) / minimal, 0)} %`,
          '≥ 90 %',
          verdict(semreg >= 0.9 * minimal),
        ];
  };
  return [
    versusMinimal(
      'package curl PUT vs a minimal Node server (hash, write, fsync)',
      r.transfers.uploads,
      r.reference.minimalServerPutMbPerSecond?.median,
    ),
    versusMinimal(
      'package curl GET vs the minimal Node server (file stream)',
      r.transfers.downloads,
      r.reference.minimalServerGetMbPerSecond?.median,
    ),
  ];
}

function registryRows(r: any): Row[] {
  return [
    [
      `${r.sequential.versions} sequential creates: last/first p50`,
      fixed(r.sequential.ratioP50, 2),
      '–',
      '–',
      '≤ 1.5',
      verdict(r.sequential.ratioP50 <= 1.5),
    ],
    [
      'parallel creates on one model, versions exactly 1..n',
      `${fixed(r.parallel.perSecond, 0)} req/s`,
      '–',
      '–',
      'no gap, no error',
      verdict(r.checks.parallelVersionsExactly1toN && r.checks.parallelNoErrors),
    ],
  ];
}

function eventsRows(r: any): Row[] {
  return [
    [
      'webhook deliveries lost (kill -9 halfway unless --quick)',
      String(r.lost),
      '–',
      '–',
      '0',
      verdict(r.lost === 0),
    ],
  ];
}

function storageRows(r: any): Row[] {
  const ratio = (semreg: string, direct: string) =>
    median(r.figures[semreg].map((t: any) => t.mbPerSecond)) /
    median(r.figures[direct].map((t: any) => t.mbPerSecond));
  const put = ratio('semregPut', 'directPut');
  const get = ratio('semregGet', 'directGet');
  return [
    [
      'S3 store PUT through semreg vs boto3 direct',
      '–',
      '–',
      `${fixed(100 * put, 0)} %`,
      '≥ 80 %',
      verdict(put >= 0.8),
    ],
    [
      'S3 store GET through semreg vs boto3 direct',
      '–',
      '–',
      `${fixed(100 * get, 0)} %`,
      '≥ 80 %',
      verdict(get >= 0.8),
    ],
    ['S3 upload: server RSS growth', '–', '–', '–', '< 64 MiB', verdict(r.checks.rssGrowthUnder64MiB)],
  ];
}

const ROWS: Record<string, (result: any) => Row[]> = {
  startup: startupRows,
  'registry-compare': registryCompareRows,
  tracking: trackingRows,
  packages: packagesRows,
  registry: registryRows,
  events: eventsRows,
  storage: storageRows,
};

function main(): void {
  const { quick, only } = new Command()
    .name('bench')
    .option('--quick', 'small sizes: a smoke run of every benchmark in a few minutes')
    .option(
      '--only <names>',
      'run only these (comma-separated, e.g. packages,storage); the others keep their last results in the table',
    )
    .parse()
    .opts<{ quick?: boolean; only?: string }>();
  const chosen = only?.split(',').map((name) => name.trim());
  const unknown = chosen?.filter((name) => !STEPS.some((step) => step.name === name)) ?? [];
  if (unknown.length > 0) throw new Error(`--only: no benchmark named ${unknown.join(', ')}`);
  const rows: Row[] = [];
  const durations: string[] = [];
  for (const step of STEPS) {
    if (chosen && !chosen.includes(step.name)) {
      if (fs.existsSync(resultFile(step.name))) rows.push(...ROWS[step.name](read(step.name)));
      else rows.push([step.name, 'not run', '–', '–', '–', 'failed']);
      durations.push(`${step.name} kept`);
      continue;
    }
    fs.rmSync(resultFile(step.name), { force: true });
    const args = [`bench/${step.name}.ts`, ...(quick ? step.quick : step.full)];
    console.log(`\n=== ${step.name}: tsx ${args.join(' ')}`);
    const started = Date.now();
    const run = spawnSync(path.join(REPO, 'node_modules/.bin/tsx'), args, { cwd: REPO, stdio: 'inherit' });
    durations.push(`${step.name} ${fixed((Date.now() - started) / 1000, 0)} s`);
    if (!fs.existsSync(resultFile(step.name))) {
      rows.push([step.name, `failed (exit ${run.status ?? run.signal})`, '–', '–', '–', 'failed']);
      continue;
    }
    rows.push(...ROWS[step.name](read(step.name)));
    if (run.status !== 0)
      rows.push([`${step.name}: its own checks`, `exit ${run.status}`, '–', '–', 'exit 0', 'missed']);
  }
  const table = markdownTable(['measure', 'semreg', 'MLflow / reference', 'ratio', 'goal', ''], rows);
  const heading = `${quick ? 'Quick run (small sizes, not the goals\u2019 sizes)' : 'Full run'} of ${new Date().toISOString()}; ${durations.join(', ')}`;
  fs.writeFileSync(path.join(REPO, 'bench/results/summary.md'), `${heading}\n\n${table}\n`);
  console.log(`\n${heading}\n\n${table}\n\nbench/results/summary.md`);
  if (rows.some((row) => row[5] === 'failed')) process.exitCode = 1;
}

main();
