/**
 * Package benchmark (`npm run bench:packages`, issue 5): the real `curl` binary against a spawned semreg
 * (`tsx src/main.ts`, temporary DATA_DIR) on an embedded PostgreSQL that this process runs: the database is
 * then outside the server's process tree, so the RSS figures are the server's alone.
 *
 * 1. A 1 GiB file: `curl -T` to `PUT /api/packages/<model>/<semver>/<file>` and `curl -o` from the GET, each
 *    as MB/s against `cp` of the same file on the same disk (goal ≥ 80 %), and the server process tree's peak
 *    RSS growth during each (goal < 64 MiB: the body streams, it is never held in memory).
 * 2. 8 parallel `curl -T` uploads of 100 MiB each into one package version (8 CI jobs publishing the parts of
 *    one release): aggregate MB/s; every answer's sha256 and the version's file listing are checked.
 *
 * Every upload carries `X-Checksum-Sha256`, so the server verifies the bytes too. Prints a markdown table and
 * writes bench/results/packages.json; exits 1 when a transfer fails or a checksum differs. Speed goals are
 * reported, never asserted (the machine is shared).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres';
import { ensureDatabase } from '../src/db/ensure-database';
import { positiveIntegerOptions } from './lib/integer-options';
import { fixed, markdownTable, mib } from './lib/markdown-table';
import { MemoryReport, TreeMemorySampler } from './lib/process-memory';
import { gitCommit, machineInfo, writeResult } from './lib/results';
import { startSemreg } from './lib/semreg-server';
import { timedCommand } from './lib/timed-command';
import { mbPerSecond, MiB, sha256File, writeRandomFile } from './lib/test-files';

const MODEL = 'bench-package';

interface Options {
  fileMib: number;
  parallel: number;
  parallelMib: number;
}

function parseOptions(): Options {
  const raw = new Command()
    .name('bench:packages')
    .option('--file-mib <n>', 'size of the single file in MiB', '1024')
    .option('--parallel <n>', 'parallel uploads', '8')
    .option('--parallel-mib <n>', 'size of each parallel upload in MiB', '100')
    .parse()
    .opts<Record<keyof Options, string>>();
  return positiveIntegerOptions(raw);
}

interface CurlTransfer {
  ok: boolean;
  httpCode: number;
  bytes: number;
  seconds: number;
  mbPerSecond: number;
  body: string;
  stderr: string;
}

/**
 * curl's own figures (`-w`): bytes moved and time_total, which excludes starting the curl process. `-T`
 * sends a PUT with Content-Length; curl adds `Expect: 100-continue` for large bodies, as in real use.
 */
async function curl(
  args: string[],
  direction: 'upload' | 'download',
  responseFile: string,
): Promise<CurlTransfer> {
  const sizeField = direction === 'upload' ? 'size_upload' : 'size_download';
  const result = await timedCommand('curl', [
    '--silent',
    '--show-error',
    '--output',
    responseFile,
    '--write-out',
    `%{http_code} %{${sizeField}} %{time_total}`,
    ...args,
  ]);
  const [code, bytes, seconds] = result.stdout.trim().split(' ').map(Number);
  const body =
    direction === 'upload' && fs.existsSync(responseFile)
      ? fs.readFileSync(responseFile, 'utf8').slice(0, 4000)
      : '';
  return {
    ok: result.code === 0 && code >= 200 && code < 300,
    httpCode: code,
    bytes,
    seconds,
    mbPerSecond: mbPerSecond(bytes, seconds),
    body,
    stderr: result.stderr.slice(0, 2000),
  };
}

function uploadArgs(url: string, file: string, sha256: string): string[] {
  return [
    '--upload-file',
    file,
    '-H',
    'Content-Type: application/octet-stream',
    '-H',
    `X-Checksum-Sha256: ${sha256}`,
    url,
  ];
}

function answeredSha256(transfer: CurlTransfer): string | undefined {
  try {
    return (JSON.parse(transfer.body) as { file?: { sha256?: string } }).file?.sha256;
  } catch {
    return undefined;
  }
}

/** `cp` of the same file on the same disk; then `sync <file>` (fsync), timed apart, so no dirty page of the copy
 * is still being written back while curl runs. semreg fsyncs each upload before the rename: the cp+sync figure
 * is the like-for-like one, plain cp the one the goal names. */
async function cpReference(file: string, bytes: number) {
  const copy = `${file}.cp`;
  const cp = await timedCommand('cp', [file, copy]);
  if (cp.code !== 0) throw new Error(`cp failed: ${cp.stderr}`);
  const sync = await timedCommand('sync', [copy]);
  if (sync.code !== 0) throw new Error(`sync failed: ${sync.stderr}`);
  fs.rmSync(copy);
  return {
    cpSeconds: cp.seconds,
    cpMbPerSecond: mbPerSecond(bytes, cp.seconds),
    cpSyncSeconds: cp.seconds + sync.seconds,
    cpSyncMbPerSecond: mbPerSecond(bytes, cp.seconds + sync.seconds),
  };
}

async function main(): Promise<void> {
  const options = parseOptions();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'semreg-bench-packages-'));
  // Embedded PostgreSQL runs as an unprivileged user when we are root: it must reach the directory.
  fs.chmodSync(scratch, 0o755);
  const files = path.join(scratch, 'files');
  fs.mkdirSync(files);
  const pg = await startEmbeddedPostgres(path.join(scratch, 'pg'));
  const server = await startSemreg(path.join(scratch, 'semreg'), {
    DATABASE_URL: await ensureDatabase(pg.url, 'semreg_bench_packages'),
  }).catch(async (err: unknown) => {
    await pg.stop();
    throw err;
  });
  const pid = server.child.pid as number;
  const base = `${server.url}/api/packages/${MODEL}`;
  try {
    const bytes = options.fileMib * MiB;
    console.log(`semreg at ${server.url}; writing a ${options.fileMib} MiB random file…`);
    const big = path.join(files, 'model.bin');
    const sha256 = await writeRandomFile(big, bytes);

    console.log('cp reference…');
    const reference = await cpReference(big, bytes);

    console.log('curl PUT…');
    let sampler = TreeMemorySampler.start(pid);
    const upload = await curl(
      uploadArgs(`${base}/1.0.0/model.bin`, big, sha256),
      'upload',
      path.join(files, 'put.json'),
    );
    const uploadMemory = sampler.stop();
    const uploadSha = answeredSha256(upload);
    if (!upload.ok) console.log('upload failed:', upload.httpCode, upload.body, upload.stderr);

    console.log('curl GET…');
    const downloaded = path.join(files, 'downloaded.bin');
    sampler = TreeMemorySampler.start(pid);
    const download = upload.ok
      ? await curl(['--fail', `${base}/1.0.0/model.bin`], 'download', downloaded)
      : undefined;
    const downloadReport = sampler.stop();
    const downloadMemory: MemoryReport | undefined = download ? downloadReport : undefined;
    const downloadSha = download?.ok ? await sha256File(downloaded) : undefined;
    if (download && !download.ok) console.log('download failed:', download.httpCode, download.stderr);
    fs.rmSync(downloaded, { force: true });
    fs.rmSync(big, { force: true });

    console.log(`${options.parallel} parallel uploads of ${options.parallelMib} MiB…`);
    const partBytes = options.parallelMib * MiB;
    const parts = [];
    for (let i = 0; i < options.parallel; i += 1) {
      const file = path.join(files, `part-${i}.bin`);
      parts.push({ file, sha256: await writeRandomFile(file, partBytes), name: `part-${i}.bin` });
    }
    sampler = TreeMemorySampler.start(pid);
    const started = performance.now();
    const partUploads = await Promise.all(
      parts.map((p, i) =>
        curl(
          uploadArgs(`${base}/2.0.0/${p.name}`, p.file, p.sha256),
          'upload',
          path.join(files, `part-${i}.json`),
        ),
      ),
    );
    const parallelSeconds = (performance.now() - started) / 1000;
    const parallelMemory = sampler.stop();
    const listing = (await fetch(`${base}/2.0.0`).then((r) => r.json())) as {
      files?: Array<{ path: string; sha256: string }>;
    };
    const listed = new Map((listing.files ?? []).map((f) => [f.path, f.sha256]));
    const partChecks = parts.map((p, i) => ({
      name: p.name,
      ok: partUploads[i].ok,
      httpCode: partUploads[i].httpCode,
      answeredSha256Matches: answeredSha256(partUploads[i]) === p.sha256,
      listedSha256Matches: listed.get(p.name) === p.sha256,
      error: partUploads[i].ok ? undefined : `${partUploads[i].body} ${partUploads[i].stderr}`.trim(),
    }));
    for (const p of parts) fs.rmSync(p.file, { force: true });
    const parallelBytes = partBytes * options.parallel;
    const parallel = {
      uploads: options.parallel,
      bytesEach: partBytes,
      seconds: parallelSeconds,
      aggregateMbPerSecond: mbPerSecond(parallelBytes, parallelSeconds),
      memory: parallelMemory,
      checks: partChecks,
    };

    const checks = {
      uploadOk: upload.ok && upload.bytes === bytes,
      uploadSha256Matches: uploadSha === sha256,
      downloadOk: download?.ok === true && download.bytes === bytes,
      downloadSha256Matches: downloadSha === sha256,
      parallelAllVerified: partChecks.every((c) => c.ok && c.answeredSha256Matches && c.listedSha256Matches),
      uploadAtLeast80PercentOfCp: upload.ok && upload.mbPerSecond >= 0.8 * reference.cpMbPerSecond,
      downloadAtLeast80PercentOfCp:
        download?.ok === true && download.mbPerSecond >= 0.8 * reference.cpMbPerSecond,
      rssGrowthUnder64MiB:
        uploadMemory.peakGrowthBytes < 64 * MiB && (downloadMemory?.peakGrowthBytes ?? Infinity) < 64 * MiB,
    };

    const size = options.fileMib % 1024 === 0 ? `${options.fileMib / 1024} GiB` : `${options.fileMib} MiB`;
    const pct = (x: number) => `${fixed(100 * x, 0)} %`;
    const rows = [
      [`cp ${size} (reference)`, fixed(reference.cpMbPerSecond), '100 %', ''],
      [
        `cp + fsync ${size}`,
        fixed(reference.cpSyncMbPerSecond),
        pct(reference.cpSyncMbPerSecond / reference.cpMbPerSecond),
        '',
      ],
      [
        `curl PUT ${size}`,
        upload.ok ? fixed(upload.mbPerSecond) : `failed (${upload.httpCode})`,
        pct(upload.mbPerSecond / reference.cpMbPerSecond),
        '≥ 80 %',
      ],
      [
        `curl GET ${size}`,
        download?.ok ? fixed(download.mbPerSecond) : 'not run / failed',
        download?.ok ? pct(download.mbPerSecond / reference.cpMbPerSecond) : '–',
        '≥ 80 %',
      ],
      [
        `${options.parallel} × ${options.parallelMib} MiB parallel curl PUT (aggregate)`,
        fixed(parallel.aggregateMbPerSecond),
        pct(parallel.aggregateMbPerSecond / reference.cpMbPerSecond),
        '',
      ],
    ];
    const memoryRows = [
      [
        `curl PUT ${size}`,
        mib(uploadMemory.baselineRssBytes),
        mib(uploadMemory.peakGrowthBytes),
        mib(uploadMemory.maxHwmRiseBytes),
      ],
      [
        `curl GET ${size}`,
        downloadMemory ? mib(downloadMemory.baselineRssBytes) : '–',
        downloadMemory ? mib(downloadMemory.peakGrowthBytes) : '–',
        downloadMemory ? mib(downloadMemory.maxHwmRiseBytes) : '–',
      ],
      [
        `${options.parallel} parallel PUTs`,
        mib(parallelMemory.baselineRssBytes),
        mib(parallelMemory.peakGrowthBytes),
        mib(parallelMemory.maxHwmRiseBytes),
      ],
    ];
    const markdown = [
      markdownTable(['transfer', 'MB/s', 'of cp', 'goal'], rows),
      '',
      markdownTable(
        ['server RSS (process tree)', 'baseline MiB', 'peak growth MiB (goal < 64)', 'max VmHWM rise MiB'],
        memoryRows,
      ),
    ].join('\n');
    console.log(`\n${markdown}\n`);
    console.log(
      'parallel uploads:',
      partChecks.filter((c) => !c.ok || !c.answeredSha256Matches || !c.listedSha256Matches).length,
      'not verified',
    );
    for (const c of partChecks) if (c.error) console.log(`  ${c.name}: ${c.httpCode} ${c.error}`);
    console.log('checks:', checks);

    const written = writeResult('packages', {
      benchmark: 'packages',
      date: new Date().toISOString(),
      commit: gitCommit(),
      machine: machineInfo(),
      options,
      bytes,
      reference,
      upload: { ...upload, memory: uploadMemory },
      download: download && { ...download, memory: downloadMemory },
      parallel,
      checks,
      markdown,
    });
    console.log(`written to ${written}`);
    if (
      !checks.uploadOk ||
      !checks.uploadSha256Matches ||
      !checks.downloadOk ||
      !checks.downloadSha256Matches ||
      !checks.parallelAllVerified
    ) {
      process.exitCode = 1;
    }
  } finally {
    await server.stop();
    await pg.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
