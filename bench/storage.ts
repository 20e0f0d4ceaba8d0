/**
 * Storage benchmark (`npm run bench:storage`, issue 12): semreg with its S3 artifact store, against the same
 * transfers made straight to the store by a real S3 client. The benchmark starts a SeaweedFS
 * (test/helpers/seaweedfs.ts, S3 on loopback), an embedded PostgreSQL, and two `node dist/main.js` on that one
 * database and bucket: one with ARTIFACT_DOWNLOADS=proxy (the default), one with =redirect.
 *
 * 1. A 1 GiB file, in `--repeats` rounds (median reported), each step a new object:
 *    - PUT: `curl -T` to `PUT /api/packages/<model>/<semver>/<file>` with `X-Checksum-Sha256`, against boto3's
 *      `upload_file` (default TransferConfig: 8 MiB parts, 10 threads) of the same file to another key, and
 *      semreg's own S3Store.put of the file from disk in this process (the store without HTTP or rows);
 *    - GET to a file: `curl -o` of that path (proxy) and `curl -L -o` through the redirect server (302 to a
 *      presigned URL), against boto3's `download_file`; every downloaded file's sha256 is checked;
 *    - GET to /dev/null, both ways: the serving speed without the client's writes.
 *    Reported: MB/s, semreg / direct (goal ≥ 80 % both ways), the semreg process's peak RSS growth during
 *    each transfer (goal < 64 MiB), and the CPU seconds semreg and SeaweedFS spent (where the time goes).
 * 2. 8 parallel `curl -T` uploads of 100 MiB each into one version, against one boto3 transfer manager
 *    uploading the same 8 files at once: aggregate MB/s; every semreg answer's sha256 and the listing checked.
 *
 * Prints markdown tables and writes bench/results/storage.json; exits 1 when a transfer fails or a checksum
 * differs. Speed goals are reported, never asserted (the machine is shared). Needs curl, python3 and PyPI
 * (boto3 is installed into .venv-bench/ when missing), and the SeaweedFS binary (scripts/build-seaweedfs.sh).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres';
import { ensureDatabase } from '../src/db/ensure-database';
import { tuneGarbageCollection } from '../src/startup/garbage-collection';
import { startSeaweedFs } from '../test/helpers/seaweedfs';
import { answeredSha256, curl, uploadArgs } from './lib/curl-transfer';
import { BOTO3_REQUIREMENT, directTransfer, ensureBoto3, storePut } from './lib/direct-s3';
import { listedSha256s } from './lib/package-listing';
import { fileTransferOptions } from './lib/transfer-options';
import { fixed, markdownTable, mib } from './lib/markdown-table';
import { cpuSeconds, descendantNamed } from './lib/process-cpu';
import { MemoryReport, TreeMemorySampler } from './lib/process-memory';
import { gitCommit, machineInfo, writeResult } from './lib/results';
import { Spread, spread, worstMemory } from './lib/run-stats';
import { startSemreg } from './lib/semreg-server';
import { mbPerSecond, MiB, sha256File, writeRandomFile } from './lib/test-files';

const MODEL = 'bench-storage';

/** One transfer, its speed, and what the server and the store spent on it. */
interface Figure {
  ok: boolean;
  seconds: number;
  mbPerSecond: number;
  /** The semreg process serving the transfer (unused by a direct one: then it shows its idle drift). */
  memory: MemoryReport;
  cpu: { semreg: number; seaweedfs: number; client?: number };
  error?: string;
}

/** The step names of a round; `semreg…` go through semreg, `direct…` straight to the store. */
const STEPS = [
  'directPut',
  'storePut',
  'semregPut',
  'directGet',
  'semregGet',
  'redirectGet',
  'directGetDevNull',
  'semregGetDevNull',
] as const;
type Step = (typeof STEPS)[number];

async function main(): Promise<void> {
  // The in-process S3Store.put row measures the store as semreg's processes run it.
  tuneGarbageCollection();
  const options = fileTransferOptions('bench:storage');
  const python = ensureBoto3();
  const machineBefore = machineInfo();
  const cleanups: Array<() => Promise<void>> = [];
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'semreg-bench-storage-'));
  cleanups.push(async () => fs.rmSync(scratch, { recursive: true, force: true }));
  try {
    // Embedded PostgreSQL runs as an unprivileged user when we are root: it must reach the directory.
    fs.chmodSync(scratch, 0o755);
    const files = path.join(scratch, 'files');
    fs.mkdirSync(files);
    console.log('starting SeaweedFS, PostgreSQL and two semreg servers (proxy, redirect)…');
    const store = await startSeaweedFs();
    cleanups.push(() => store.stop());
    const weedPid = descendantNamed('weed');
    if (weedPid === undefined) throw new Error('no weed process below this one');
    const bucket = await store.newBucket('bench');
    const pg = await startEmbeddedPostgres(path.join(scratch, 'pg'));
    cleanups.push(() => pg.stop());
    const env = {
      DATABASE_URL: await ensureDatabase(pg.url, 'semreg_bench_storage'),
      ...store.env(bucket, 'semreg'),
    };
    const proxy = await startSemreg(path.join(scratch, 'semreg-proxy'), env);
    cleanups.push(() => proxy.stop());
    const redirect = await startSemreg(path.join(scratch, 'semreg-redirect'), {
      ...env,
      ARTIFACT_DOWNLOADS: 'redirect',
    });
    cleanups.push(() => redirect.stop());
    const proxyPid = proxy.child.pid as number;
    const bytes = options.fileMib * MiB;

    /** `work` with the memory of `semregPid` sampled and the CPU of semreg and SeaweedFS counted. */
    const measured = async (
      semregPid: number,
      work: () => Promise<{ ok: boolean; seconds: number; clientCpu?: number; error?: string }>,
    ): Promise<Figure> => {
      const sampler = TreeMemorySampler.start(semregPid);
      const cpuBefore = [cpuSeconds(semregPid), cpuSeconds(weedPid)];
      const result = await work();
      const cpu = {
        semreg: cpuSeconds(semregPid) - cpuBefore[0],
        seaweedfs: cpuSeconds(weedPid) - cpuBefore[1],
      };
      return {
        ok: result.ok,
        seconds: result.seconds,
        mbPerSecond: mbPerSecond(bytes, result.seconds),
        memory: sampler.stop(),
        cpu: { ...cpu, client: result.clientCpu },
        error: result.error,
      };
    };
    const viaCurl = async (
      args: string[],
      direction: 'upload' | 'download',
      out: string,
      sha256?: string,
    ) => {
      const t = await curl(args, direction, out);
      const ok =
        t.ok &&
        t.bytes === bytes &&
        (direction === 'upload'
          ? answeredSha256(t) === sha256
          : sha256 === undefined || (await sha256File(out)) === sha256);
      return { ok, seconds: t.seconds, error: ok ? undefined : `${t.httpCode} ${t.body} ${t.stderr}`.trim() };
    };
    const viaBoto3 = async (direction: 'upload' | 'download', file: string, key: string, sha256?: string) => {
      const t = await directTransfer(python, store, direction, bucket, [{ file, key }]);
      const ok = t.ok && (sha256 === undefined || (await sha256File(file)) === sha256);
      return {
        ok,
        seconds: t.seconds,
        clientCpu: t.clientCpuSeconds,
        error: ok ? undefined : t.error || 'sha256 differs',
      };
    };

    console.log(
      `semreg at ${proxy.url} (proxy) and ${redirect.url} (redirect); writing a ${options.fileMib} MiB random file…`,
    );
    const big = path.join(files, 'model.bin');
    const sha256 = await writeRandomFile(big, bytes);
    const { repeats } = options;

    // Rounds of every step, interleaved so that each kind of transfer meets the same machine state; every
    // downloaded file stays until the end, as in bench:packages (on this VM, writing into memory the guest
    // has not touched recently costs more than reusing the pages of a file just deleted).
    const figures = Object.fromEntries(STEPS.map((s) => [s, [] as Figure[]])) as Record<Step, Figure[]>;
    const out = (name: string) => path.join(files, name);
    // The first bytes written to a new bucket make SeaweedFS grow its volumes (a second or more), and each
    // server's first upload sets up its connections: one untimed 16 MiB upload each way pays for both.
    const warmup = out('warmup.bin');
    const warmupSha256 = await writeRandomFile(warmup, 16 * MiB);
    const warmups = [
      (await directTransfer(python, store, 'upload', bucket, [{ file: warmup, key: 'direct/warmup.bin' }]))
        .error,
      ...(await Promise.all(
        [proxy, redirect].map(async (server, i) => {
          const url = `${server.url}/api/packages/${MODEL}/0.0.${i + 1}/warmup.bin`;
          const t = await curl(uploadArgs(url, warmup, warmupSha256), 'upload', out(`warmup-${i}.json`));
          return t.ok ? '' : `${t.httpCode} ${t.body} ${t.stderr}`;
        }),
      )),
    ].filter(Boolean);
    if (warmups.length > 0) throw new Error(`warm-up upload failed: ${warmups.join('; ')}`);
    for (let run = 0; run < repeats; run += 1) {
      console.log(
        `round ${run + 1} of ${repeats}: PUT, GET, redirect GET, GET to /dev/null; boto3 and semreg…`,
      );
      const directKey = `direct/model-${run}.bin`;
      const packageUrl = (server: { url: string }) =>
        `${server.url}/api/packages/${MODEL}/1.0.0/model-${run}.bin`;
      const steps: Record<Step, () => Promise<Figure>> = {
        directPut: () => measured(proxyPid, () => viaBoto3('upload', big, directKey)),
        storePut: () =>
          measured(proxyPid, async () => {
            const t = await storePut(store, bucket, 'store', big, `model-${run}.bin`, sha256);
            return { ok: t.ok, seconds: t.seconds, clientCpu: t.clientCpuSeconds, error: t.error };
          }),
        semregPut: () =>
          measured(proxyPid, () =>
            viaCurl(uploadArgs(packageUrl(proxy), big, sha256), 'upload', out(`put-${run}.json`), sha256),
          ),
        directGet: () =>
          measured(proxyPid, () => viaBoto3('download', out(`direct-get-${run}.bin`), directKey, sha256)),
        semregGet: () =>
          measured(proxyPid, () =>
            viaCurl(['--fail', packageUrl(proxy)], 'download', out(`get-${run}.bin`), sha256),
          ),
        redirectGet: () =>
          measured(redirect.child.pid as number, () =>
            viaCurl(
              ['--fail', '--location', packageUrl(redirect)],
              'download',
              out(`redirect-get-${run}.bin`),
              sha256,
            ),
          ),
        directGetDevNull: () => measured(proxyPid, () => viaBoto3('download', '/dev/null', directKey)),
        semregGetDevNull: () =>
          measured(proxyPid, () => viaCurl(['--fail', packageUrl(proxy)], 'download', '/dev/null')),
      };
      for (const step of STEPS) {
        const figure = await steps[step]();
        figures[step].push(figure);
        if (!figure.ok) console.log(`  ${step} failed: ${figure.error}`);
      }
    }
    for (const name of fs.readdirSync(files)) fs.rmSync(path.join(files, name), { force: true });

    console.log(
      `${options.parallel} parallel uploads of ${options.parallelMib} MiB, through semreg and by boto3…`,
    );
    const partBytes = options.parallelMib * MiB;
    const parts = [];
    for (let i = 0; i < options.parallel; i += 1) {
      const file = out(`part-${i}.bin`);
      parts.push({ file, sha256: await writeRandomFile(file, partBytes), name: `part-${i}.bin` });
    }
    const base = `${proxy.url}/api/packages/${MODEL}`;
    const sampler = TreeMemorySampler.start(proxyPid);
    const started = performance.now();
    const partUploads = await Promise.all(
      parts.map((p, i) =>
        curl(uploadArgs(`${base}/2.0.0/${p.name}`, p.file, p.sha256), 'upload', out(`part-${i}.json`)),
      ),
    );
    const parallelSeconds = (performance.now() - started) / 1000;
    const parallelMemory = sampler.stop();
    const listed = await listedSha256s(`${base}/2.0.0`);
    const partChecks = parts.map((p, i) => ({
      name: p.name,
      ok: partUploads[i].ok && answeredSha256(partUploads[i]) === p.sha256 && listed.get(p.name) === p.sha256,
      httpCode: partUploads[i].httpCode,
      error: partUploads[i].ok ? undefined : `${partUploads[i].body} ${partUploads[i].stderr}`.trim(),
    }));
    const directParallel = await directTransfer(
      python,
      store,
      'upload',
      bucket,
      parts.map((p) => ({ file: p.file, key: `direct/${p.name}` })),
    );
    for (const p of parts) fs.rmSync(p.file, { force: true });
    const parallelBytes = partBytes * options.parallel;
    const parallel = {
      uploads: options.parallel,
      bytesEach: partBytes,
      semreg: { seconds: parallelSeconds, aggregateMbPerSecond: mbPerSecond(parallelBytes, parallelSeconds) },
      direct: { ...directParallel, aggregateMbPerSecond: mbPerSecond(parallelBytes, directParallel.seconds) },
      memory: parallelMemory,
      checks: partChecks,
    };

    const complete = (step: Step) => figures[step].length === repeats && figures[step].every((f) => f.ok);
    const speed = (step: Step) =>
      complete(step) ? spread(figures[step].map((f) => f.mbPerSecond)) : undefined;
    const ratio = (semreg: Step, direct: Step) =>
      (speed(semreg)?.median ?? NaN) / (speed(direct)?.median ?? NaN);
    const checks = {
      allTransfersVerified: STEPS.every(complete),
      parallelAllVerified: partChecks.every((c) => c.ok) && directParallel.ok,
      putAtLeast80PercentOfDirect: ratio('semregPut', 'directPut') >= 0.8,
      getAtLeast80PercentOfDirect: ratio('semregGet', 'directGet') >= 0.8,
      redirectGetAtLeast80PercentOfDirect: ratio('redirectGet', 'directGet') >= 0.8,
      rssGrowthUnder64MiB: (['semregPut', 'semregGet', 'redirectGet'] as const).every(
        (s) => (worstMemory(figures[s].map((f) => f.memory))?.peakGrowthBytes ?? Infinity) < 64 * MiB,
      ),
    };

    const size = options.fileMib % 1024 === 0 ? `${options.fileMib / 1024} GiB` : `${options.fileMib} MiB`;
    const pct = (x: number) => (Number.isFinite(x) ? `${fixed(100 * x, 0)} %` : '–');
    const range = (s: Spread | undefined) => (s ? `${fixed(s.min)}–${fixed(s.max)}` : '–');
    const goal = (x: number) => `≥ 80 % — ${x >= 0.8 ? 'met' : 'missed'}`;
    const row = (what: string, semreg: Step, direct: Step, withGoal: boolean): string[] => {
      const [s, d] = [speed(semreg), speed(direct)];
      const r = ratio(semreg, direct);
      return [
        what,
        s ? fixed(s.median) : 'failed',
        range(s),
        d ? fixed(d.median) : 'failed',
        range(d),
        pct(r),
        withGoal ? goal(r) : '',
      ];
    };
    const parallelRatio = parallel.semreg.aggregateMbPerSecond / parallel.direct.aggregateMbPerSecond;
    const rows = [
      row(`PUT ${size}`, 'semregPut', 'directPut', true),
      row(`PUT ${size}: semreg's S3Store.put from disk, in-process, no HTTP`, 'storePut', 'directPut', false),
      row(`GET ${size} to a file (proxy)`, 'semregGet', 'directGet', true),
      row(`GET ${size} to a file (redirect, curl -L)`, 'redirectGet', 'directGet', true),
      row(`GET ${size} to /dev/null (proxy)`, 'semregGetDevNull', 'directGetDevNull', false),
      [
        `${options.parallel} × ${options.parallelMib} MiB parallel PUT (aggregate, one run)`,
        fixed(parallel.semreg.aggregateMbPerSecond),
        '–',
        directParallel.ok ? fixed(parallel.direct.aggregateMbPerSecond) : 'failed',
        '–',
        pct(parallelRatio),
        '',
      ],
    ];
    const memoryRow = (what: string, m: MemoryReport | undefined) =>
      m
        ? [what, mib(m.baselineRssBytes), mib(m.peakGrowthBytes), mib(m.maxHwmRiseBytes)]
        : [what, '–', '–', '–'];
    const memoryOf = (step: Step) => worstMemory(figures[step].map((f) => f.memory));
    const memoryRows = [
      memoryRow(`PUT ${size} × ${repeats}`, memoryOf('semregPut')),
      memoryRow(`GET ${size} × ${repeats} (proxy)`, memoryOf('semregGet')),
      memoryRow(`GET ${size} × ${repeats} (redirect server)`, memoryOf('redirectGet')),
      memoryRow(`${options.parallel} parallel PUTs`, parallelMemory),
    ];
    const median = (values: Array<number | undefined>) =>
      values.every((v) => v !== undefined) ? spread(values as number[]).median : NaN;
    const cpuRow = (what: string, step: Step) => {
      const f = figures[step];
      const cpu = (of: 'semreg' | 'seaweedfs' | 'client') => fixed(median(f.map((x) => x.cpu[of])), 2);
      // S3Store.put runs in this process: its CPU is semreg's store's, and there is no client besides it.
      const [semreg, client] =
        step === 'storePut'
          ? [cpu('client'), '–']
          : [cpu('semreg'), step.startsWith('direct') ? cpu('client') : '–'];
      return [what, fixed(median(f.map((x) => x.seconds)), 2), semreg, cpu('seaweedfs'), client];
    };
    const cpuRows = [
      cpuRow(`PUT ${size}, semreg`, 'semregPut'),
      cpuRow(`PUT ${size}, S3Store.put in-process`, 'storePut'),
      cpuRow(`PUT ${size}, boto3`, 'directPut'),
      cpuRow(`GET ${size} to a file, semreg (proxy)`, 'semregGet'),
      cpuRow(`GET ${size} to a file, semreg (redirect)`, 'redirectGet'),
      cpuRow(`GET ${size} to a file, boto3`, 'directGet'),
      cpuRow(`GET ${size} to /dev/null, semreg (proxy)`, 'semregGetDevNull'),
      cpuRow(`GET ${size} to /dev/null, boto3`, 'directGetDevNull'),
    ];
    const markdown = [
      markdownTable(
        [
          'transfer',
          `semreg MB/s (median of ${repeats})`,
          'min–max',
          'direct boto3 MB/s',
          'min–max',
          'semreg / direct',
          'goal',
        ],
        rows,
      ),
      '',
      markdownTable(
        ['semreg process RSS', 'baseline MiB', 'peak growth MiB (goal < 64)', 'max VmHWM rise MiB'],
        memoryRows,
      ),
      '',
      markdownTable(
        [
          `where the time goes (medians)`,
          'wall s',
          'semreg CPU s',
          'SeaweedFS CPU s',
          'client CPU s (boto3)',
        ],
        cpuRows,
      ),
    ].join('\n');
    console.log(`\n${markdown}\n`);
    for (const c of partChecks)
      if (!c.ok) console.log(`  ${c.name}: ${c.httpCode} ${c.error ?? 'sha256 differs'}`);
    if (!directParallel.ok) console.log(`  boto3 parallel upload failed: ${directParallel.error}`);
    console.log('checks:', checks);

    const written = writeResult('storage', {
      benchmark: 'storage',
      date: new Date().toISOString(),
      commit: gitCommit(),
      machine: { ...machineBefore, loadavgAfter: os.loadavg() },
      client: { curl: 'curl', direct: BOTO3_REQUIREMENT },
      options,
      bytes,
      figures,
      parallel,
      checks,
      markdown,
    });
    console.log(`written to ${written}`);
    if (!checks.allTransfersVerified || !checks.parallelAllVerified) process.exitCode = 1;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err: unknown) => console.error(err));
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
