/**
 * Web UI benchmark (`npm run bench:ui`, issue 13): a spawned `node dist/main.js` (as `npm start` runs it, on its
 * own embedded PostgreSQL) loaded through the MLflow API with 1,000 models and 10,000 versions, one of the
 * models holding 1,000 of them; then headless Chromium (Debian's, through playwright-core) opens
 *
 * - the models page (`/`): 50 rows, each loading its own summary (highest release, holders, last CI job);
 * - the page of the model with 1,000 versions (`/ui/models/<name>`): every version fetched and semver-sorted.
 *
 * Per page, over fresh browser contexts (cold cache, as a first visit): "interactive" is the moment, from
 * navigation start, the first table row is on screen (the page answers clicks from then on); "settled" is when
 * the last API request the page made has answered. Also the gzipped size of the JS and CSS the first page
 * loads (from dist/ui/index.html) and of the chart chunk loaded later.
 *
 * Goals (< 1 s interactive each, < 300 KB gzipped) are reported, never asserted: the machine is shared.
 * Prints a table and writes bench/results/ui.json.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import { chromium, type Browser } from 'playwright-core';
import { positiveIntegerOptions } from './lib/integer-options';
import { fixed, markdownTable } from './lib/markdown-table';
import { REPO, gitCommit, machineInfo, writeResult } from './lib/results';
import { startSemreg } from './lib/semreg-server';
import { mlflowPost } from './lib/mlflow-post';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const BIG_MODEL = 'bench-ui-big';
const GOAL_MS = 1000;
const GOAL_GZIP_BYTES = 300 * 1024;

function parseOptions() {
  const program = new Command()
    .name('bench:ui')
    .option('--models <n>', 'registered models', '1000')
    .option('--versions <n>', 'model versions in all', '10000')
    .option('--big <n>', 'versions of the one big model', '1000')
    .option('--runs <n>', 'cold page loads per page', '5')
    .option('--clients <n>', 'parallel clients while loading data', '8')
    .parse();
  const options = positiveIntegerOptions(
    program.opts<{ models: string; versions: string; big: string; runs: string; clients: string }>(),
  );
  if (options.versions - options.big < options.models - 1) {
    throw new Error('--versions must leave at least one version for every other model');
  }
  return options;
}

/** `count` tasks on `clients` concurrent loops: the API's own speed, not one client's round trips, sets the pace. */
async function inParallel(count: number, clients: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

/** The big model first, then the other versions spread evenly over the other models. */
async function loadData(baseUrl: string, o: ReturnType<typeof parseOptions>) {
  const names = [
    BIG_MODEL,
    ...Array.from({ length: o.models - 1 }, (_, i) => `bench-ui-${String(i).padStart(4, '0')}`),
  ];
  const started = performance.now();
  await inParallel(names.length, o.clients, (i) =>
    mlflowPost(baseUrl, 'registered-models/create', { name: names[i] }),
  );
  const owners: string[] = [...Array<string>(o.big).fill(BIG_MODEL)];
  for (let i = 0; owners.length < o.versions; i += 1) owners.push(names[1 + (i % (names.length - 1))]);
  // Versions of one model must be created one after another to get consecutive semvers; models in parallel.
  const byModel = new Map<string, number>();
  for (const name of owners) byModel.set(name, (byModel.get(name) ?? 0) + 1);
  const queue = [...byModel.entries()];
  await inParallel(queue.length, o.clients, async (i) => {
    const [name, count] = queue[i];
    for (let v = 0; v < count; v += 1) {
      await mlflowPost(baseUrl, 'model-versions/create', { name, source: `s3://bench/${name}/${v}` });
    }
  });
  return { seconds: (performance.now() - started) / 1000 };
}

interface PageTiming {
  interactiveMs: number;
  settledMs: number;
  requests: number;
}

async function timePage(browser: Browser, baseUrl: string, url: string, row: string): Promise<PageTiming> {
  const context = await browser.newContext({ baseURL: baseUrl, viewport: { width: 1400, height: 900 } });
  try {
    const page = await context.newPage();
    await page.goto(url, { waitUntil: 'commit' });
    // Polled every animation frame, so the figure is the first frame that shows a row.
    // A function, not a string: a string predicate is eval'd in the page, which the UI's CSP refuses.
    // (This file is type-checked without the DOM library, hence globalThis.)
    const interactive = await page.waitForFunction(
      (selector) => {
        const dom = globalThis as unknown as {
          document: { querySelector(s: string): unknown };
          performance: { now(): number };
        };
        return dom.document.querySelector(selector) ? dom.performance.now() : 0;
      },
      row,
      { polling: 'raf', timeout: 60_000 },
    );
    await page.waitForLoadState('networkidle');
    const settled = (await page.evaluate(`(() => {
      const api = performance.getEntriesByType('resource').filter((e) => !e.name.includes('/ui/assets/'));
      return { end: Math.max(0, ...api.map((e) => e.responseEnd)), requests: api.length };
    })()`)) as { end: number; requests: number };
    return {
      interactiveMs: Number(await interactive.jsonValue()),
      settledMs: settled.end,
      requests: settled.requests,
    };
  } finally {
    await context.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timePages(baseUrl: string, runs: number) {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  try {
    const pages = {
      models: { url: '/', row: 'table.models tbody tr' },
      bigModel: { url: `/ui/models/${BIG_MODEL}`, row: 'table.versions tbody tr' },
    };
    const result: Record<
      string,
      { interactiveMs: number; settledMs: number; requests: number; all: PageTiming[] }
    > = {};
    for (const [label, { url, row }] of Object.entries(pages)) {
      await timePage(browser, baseUrl, url, row); // warm-up: the server's first queries, Chromium's first start
      const all: PageTiming[] = [];
      for (let i = 0; i < runs; i += 1) all.push(await timePage(browser, baseUrl, url, row));
      result[label] = {
        interactiveMs: median(all.map((t) => t.interactiveMs)),
        settledMs: median(all.map((t) => t.settledMs)),
        requests: median(all.map((t) => t.requests)),
        all,
      };
    }
    return result;
  } finally {
    await browser.close();
  }
}

/** What the first page downloads (the assets named in index.html) and the lazily loaded chart chunk, gzipped. */
function bundleSizes() {
  const dir = path.join(REPO, 'dist/ui');
  const html = fs.readFileSync(path.join(dir, 'index.html'), 'utf8');
  const firstPage = [...html.matchAll(/\/ui\/assets\/([^"]+)/g)].map((m) => m[1]);
  const gz = (file: string) => fs.statSync(path.join(dir, 'assets', `${file}.gz`)).size;
  const later = fs
    .readdirSync(path.join(dir, 'assets'))
    .filter((f) => f.startsWith('chunk-') && f.endsWith('.js'));
  return {
    firstPageGzipBytes: firstPage.reduce((sum, f) => sum + gz(f), 0),
    firstPage: Object.fromEntries(firstPage.map((f) => [f, gz(f)])),
    later: Object.fromEntries(later.map((f) => [f, gz(f)])),
  };
}

async function main() {
  const options = parseOptions();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'semreg-bench-ui-'));
  // embedded PostgreSQL runs as an unprivileged user when we are root: it must reach the directory.
  fs.chmodSync(dataDir, 0o755);
  // The request log of 10,000 creates would measure the pipe, not the UI.
  const server = await startSemreg(dataDir, { LOG_LEVEL: 'warn' });
  try {
    console.log(`loading ${options.models} models and ${options.versions} versions…`);
    const load = await loadData(server.url, options);
    console.log(`loaded in ${fixed(load.seconds)} s; timing ${options.runs} cold loads per page…`);
    const pages = await timePages(server.url, options.runs);
    const bundle = bundleSizes();
    const kb = (bytes: number) => `${fixed(bytes / 1024)} KB`;
    const verdict = (ok: boolean) => (ok ? 'yes' : 'no');
    const rows = [
      ...Object.entries(pages).map(([label, t]) => [
        label === 'models' ? 'models page (/)' : `model page, ${options.big} versions`,
        `${fixed(t.interactiveMs, 0)} ms`,
        `${fixed(t.settledMs, 0)} ms (${t.requests} requests)`,
        `< ${GOAL_MS} ms interactive: ${verdict(t.interactiveMs < GOAL_MS)}`,
      ]),
      [
        'first page JS + CSS, gzipped',
        kb(bundle.firstPageGzipBytes),
        '',
        `< 300 KB: ${verdict(bundle.firstPageGzipBytes < GOAL_GZIP_BYTES)}`,
      ],
      ...Object.entries(bundle.later).map(([file, bytes]) => [
        `chart chunk (run page only), gzipped`,
        kb(bytes),
        file,
        '',
      ]),
    ];
    console.log(markdownTable(['What', 'Interactive (median)', 'Settled (median)', 'Goal met'], rows));
    const written = writeResult('ui', {
      options,
      commit: gitCommit(),
      machine: machineInfo(),
      loadSeconds: load.seconds,
      pages,
      bundle,
    });
    console.log(`written to ${written}`);
  } finally {
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
