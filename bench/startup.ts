/**
 * `npm run bench:startup` (issue 15): how fast semreg starts and how much memory it holds at idle.
 *
 * - first start: a fresh DATA_DIR, `node dist/main.js` spawned → first `/health` 200 (initdb included);
 * - restart: the same DATA_DIR after a clean stop (SIGTERM), spawn → first `/health` 200;
 * - restart via `npm start`: the same, with npm and the dist/ freshness check in front, as a user types it;
 * - RSS of the semreg process alone (PostgreSQL reported apart) 5 s after its first `/health` 200, and idle:
 *   40 s after it, in the last run. V8 gives back the young generation's start-up garbage only after a
 *   while without work (its memory reducer: about 30 s here), so "idle" is measured past that.
 *
 * Each figure is the median of `--runs` runs. Goals: restart < 1 s, first start < 3 s, idle RSS < 100 MiB.
 */
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { freePort } from '../src/net/free-port';
import { positiveIntegerOptions } from './lib/integer-options';
import { fixed, markdownTable, mib } from './lib/markdown-table';
import { processTree, treeRssBytes } from './lib/process-memory';
import { gitCommit, machineInfo, REPO, writeResult } from './lib/results';

const MiB = 1024 * 1024;

interface Started {
  child: ChildProcess;
  /** Milliseconds from spawn to the first /health 200. */
  readyMs: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function healthy(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(1000) })).status === 200;
  } catch {
    return false;
  }
}

async function start(command: string, args: string[], dataDir: string, port: number): Promise<Started> {
  const began = performance.now();
  const child = spawn(command, args, {
    cwd: REPO,
    env: { ...process.env, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
    detached: true, // its own group: `npm start` is npm plus the node it runs
  });
  const url = `http://127.0.0.1:${port}/health`;
  while (!(await healthy(url))) {
    if (child.exitCode !== null)
      throw new Error(`${command} ${args.join(' ')} exited with ${child.exitCode}`);
    if (performance.now() - began > 60_000) throw new Error(`${url} not healthy after 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return { child, readyMs: performance.now() - began };
}

/** SIGTERM to the group, as Ctrl-C would: semreg stops its PostgreSQL before it exits. */
async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(-child.pid!, 'SIGTERM');
  await exited;
}

/** The node process that serves: the spawned one, or for `npm start` the `node dist/main.js` below npm. */
function serverPid(root: number): number {
  const found = processTree(root).find((pid) => {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    return cmdline.includes('dist/main.js');
  });
  if (found === undefined) throw new Error('no dist/main.js process found');
  return found;
}

/** VmRSS of one process (its PostgreSQL children are reported apart). */
function processRssBytes(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
}

function postgresRss(root: number): number {
  return processTree(root)
    .filter((pid) => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('bin/postgres'))
    .reduce((sum, pid) => sum + treeRssBytes(pid), 0);
}

async function main(): Promise<void> {
  const raw = new Command()
    .name('bench:startup')
    .option('--runs <n>', 'runs per figure (median reported)', '5')
    .parse()
    .opts<{ runs: string }>();
  const { runs } = positiveIntegerOptions(raw);
  // Below /tmp (world-traversable), so the cluster sits in DATA_DIR as for most users.
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'semreg-bench-startup-'));
  fs.chmodSync(scratch, 0o755);
  const node = process.execPath;
  const first: number[] = [];
  const restart: number[] = [];
  const npmRestart: number[] = [];
  const rssAfter5s: number[] = [];
  let idleRss = 0;
  const postgresIdleRss: number[] = [];
  try {
    for (let run = 0; run < runs; run += 1) {
      const dataDir = path.join(scratch, `data-${run}`);
      const fresh = await start(node, ['dist/main.js'], dataDir, await freePort());
      first.push(fresh.readyMs);
      await stop(fresh.child);

      const again = await start(node, ['dist/main.js'], dataDir, await freePort());
      restart.push(again.readyMs);
      await new Promise((resolve) => setTimeout(resolve, 5000));
      rssAfter5s.push(processRssBytes(again.child.pid!));
      postgresIdleRss.push(postgresRss(again.child.pid!));
      if (run === runs - 1) {
        await new Promise((resolve) => setTimeout(resolve, 35_000));
        idleRss = processRssBytes(again.child.pid!);
      }
      await stop(again.child);

      const viaNpm = await start('npm', ['start', '--silent'], dataDir, await freePort());
      serverPid(viaNpm.child.pid!); // it really is the compiled server behind npm
      npmRestart.push(viaNpm.readyMs);
      await stop(viaNpm.child);
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }

  const figures = {
    firstStartMs: median(first),
    restartMs: median(restart),
    npmStartRestartMs: median(npmRestart),
    rssAfter5sBytes: median(rssAfter5s),
    idleRssBytes: idleRss,
    postgresIdleRssBytes: median(postgresIdleRss),
  };
  const goals = {
    firstStartMs: figures.firstStartMs < 3000,
    restartMs: figures.restartMs < 1000,
    idleRssBytes: figures.idleRssBytes < 100 * MiB,
  };
  const met = (ok: boolean | undefined) => (ok === undefined ? 'reported' : ok ? 'met' : 'missed');
  console.log(
    markdownTable(
      ['measure', 'semreg', 'goal', ''],
      [
        [
          'first start incl. initdb → /health 200',
          `${fixed(figures.firstStartMs, 0)} ms`,
          '< 3000 ms',
          met(goals.firstStartMs),
        ],
        ['restart → /health 200', `${fixed(figures.restartMs, 0)} ms`, '< 1000 ms', met(goals.restartMs)],
        [
          'restart via `npm start` → /health 200',
          `${fixed(figures.npmStartRestartMs, 0)} ms`,
          '–',
          met(undefined),
        ],
        [
          'RSS of the semreg process 5 s after start',
          `${mib(figures.rssAfter5sBytes)} MiB`,
          '–',
          met(undefined),
        ],
        [
          'idle RSS of the semreg process (40 s after start)',
          `${mib(figures.idleRssBytes)} MiB`,
          '< 100 MiB',
          met(goals.idleRssBytes),
        ],
        [
          'idle RSS of its PostgreSQL (all processes)',
          `${mib(figures.postgresIdleRssBytes)} MiB`,
          '–',
          met(undefined),
        ],
      ],
    ),
  );
  const file = writeResult('startup', {
    commit: gitCommit(),
    machine: machineInfo(),
    runs,
    samples: { first, restart, npmRestart, rssAfter5s, postgresIdleRss },
    figures,
    goals,
  });
  console.log(`\n${file}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
