/**
 * Package benchmark (`npm run bench:packages`, issue 5): the real `curl` binary against a spawned semreg
 * (`node dist/main.js`, temporary DATA_DIR) on an embedded PostgreSQL that this process runs: the database is
 * then outside the server's process tree, so the RSS figures are the server's alone.
 *
 * 1. A 1 GiB file, in `--repeats` rounds (median reported): `curl -T` to
 *    `PUT /api/packages/<model>/<semver>/<file>` and `curl -o` from the GET, each as MB/s against the same
 *    transfer with a minimal Node server (`lib/minimal-upload-server.ts`: hash, write, fsync on PUT, a plain
 *    file stream on GET, nothing else; issue 15's goal: ≥ 90 %), and the server process tree's peak RSS
 *    growth during each (goal < 64 MiB: the body streams, it is never held in memory). Each round also times
 *    `cp` and `dd bs=4M` of the same file on the same disk, and a GET that curl sends to /dev/null, so the
 *    figures say where the time goes.
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
import { startEmbeddedPostgres } from '../src/db/embedded-postgres';
import { ensureDatabase } from '../src/db/ensure-database';
import { freePort } from '../src/net/free-port';
import { answeredSha256, curl, CurlTransfer, uploadArgs } from './lib/curl-transfer';
import { listedSha256s } from './lib/package-listing';
import { fileTransferOptions } from './lib/transfer-options';
import { fixed, markdownTable, mib } from './lib/markdown-table';
import { MemoryReport, TreeMemorySampler } from './lib/process-memory';
import { gitCommit, machineInfo, writeResult } from './lib/results';
import { Spread, spread, worstMemory } from './lib/run-stats';
import { startSemreg } from './lib/semreg-server';
import { SpawnedServer, startTsxServer } from './lib/spawned-server';
import { timedCommand } from './lib/timed-command';
import { mbPerSecond, MiB, sha256File, writeRandomFile } from './lib/test-files';

const MODEL = 'bench-package';

/**
 * A copy of the file on the same disk, to a new file kept until the end like an upload; then `sync <copy>`
 * (fsync), timed apart, so no dirty page of one copy is still being written back while the next transfer
 * runs. semreg fsyncs each upload before the rename: copy+sync is the like-for-like figure, the plain copy
 * the one the goal names. Two copiers: `cp` (the goal's reference; coreutils 9 copies inside the kernel with
 * copy_file_range) and `dd bs=4M`, a process that reads the bytes into its memory and writes them out, as
 * any server receiving an upload must.
 */
async function copyReference(command: 'cp' | 'dd', file: string, copy: string, bytes: number) {
  const args = command === 'cp' ? [file, copy] : [`if=${file}`, `of=${copy}`, 'bs=4M', 'status=none'];
  const copied = await timedCommand(command, args);
  if (copied.code !== 0) throw new Error(`${command} failed: ${copied.stderr}`);
  const synced = await timedCommand('sync', [copy]);
  if (synced.code !== 0) throw new Error(`sync failed: ${synced.stderr}`);
  return {
    copy: mbPerSecond(bytes, copied.seconds),
    copySync: mbPerSecond(bytes, copied.seconds + synced.seconds),
  };
}

/** `bench/lib/minimal-upload-server.ts` as its own process, storing into `dir`. */
async function startMinimalUploadServer(dir: string): Promise<SpawnedServer> {
  const port = await freePort();
  return startTsxServer({
    script: 'bench/lib/minimal-upload-server.ts',
    args: [dir, String(port)],
    port,
    label: 'minimal upload server',
    timeoutMs: 30_000,
  });
}

/** One transfer under the server's memory sampler. */
async function sampled(pid: number, transfer: () => Promise<CurlTransfer>) {
  const sampler = TreeMemorySampler.start(pid);
  const result = await transfer();
  return { ...result, memory: sampler.stop() };
}

async function main(): Promise<void> {
  const options = fileTransferOptions('bench:packages');
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
  const minimalDir = path.join(scratch, 'minimal');
  fs.mkdirSync(minimalDir);
  let minimal: SpawnedServer | undefined;
  try {
    minimal = await startMinimalUploadServer(minimalDir);
    const minimalUrl = minimal.url;
    const bytes = options.fileMib * MiB;
    console.log(`semreg at ${server.url}; writing a ${options.fileMib} MiB random file…`);
    const big = path.join(files, 'model.bin');
    const sha256 = await writeRandomFile(big, bytes);
    const { repeats } = options;

    // Rounds of cp, dd, PUT, GET, GET to /dev/null, interleaved so that each kind of transfer meets the same
    // machine state. Every transfer writes 1 GiB of new data that stays until the end (a copy, an uploaded
    // package file, a downloaded file): on a VM, writing into memory the guest has not touched yet costs far
    // more than reusing the pages of a file just deleted, so a reference that deleted its copy would compare
    // unlike with like.
    const copies: Array<{ copy: number; copySync: number }> = [];
    const dds: Array<{ copy: number; copySync: number }> = [];
    const minimalUploads: CurlTransfer[] = [];
    const minimalDownloads: CurlTransfer[] = [];
    const uploads: Array<CurlTransfer & { memory: MemoryReport }> = [];
    const downloads: Array<CurlTransfer & { memory: MemoryReport }> = [];
    const discards: CurlTransfer[] = [];
    // The minimal server's PUT and GET and semreg's take turns going first: each writes 1 GiB of new pages,
    // and on this VM the later of two such writes in a round can be markedly slower.
    const minimalRound = async (run: number): Promise<void> => {
      const minimalUpload = await curl(
        uploadArgs(`${minimalUrl}/model-${run}.bin`, big, sha256),
        'upload',
        path.join(files, `minimal-put-${run}.json`),
      );
      minimalUploads.push({
        ...minimalUpload,
        ok: minimalUpload.ok && answeredSha256(minimalUpload) === sha256,
      });
      const minimalDownloaded = path.join(files, `minimal-downloaded-${run}.bin`);
      const minimalDownload = await curl(
        ['--fail', `${minimalUrl}/model-${run}.bin`],
        'download',
        minimalDownloaded,
      );
      minimalDownloads.push({
        ...minimalDownload,
        ok: minimalDownload.ok && (await sha256File(minimalDownloaded)) === sha256,
      });
    };
    /** semreg's PUT, GET and GET to /dev/null; false when a transfer failed (the rounds stop). */
    const semregRound = async (run: number): Promise<boolean> => {
      // Each round uploads a new path: a second upload of a stored path is only hashed, never written.
      const fileUrl = `${base}/1.0.0/model-${run}.bin`;
      const upload = await sampled(pid, () =>
        curl(uploadArgs(fileUrl, big, sha256), 'upload', path.join(files, `put-${run}.json`)),
      );
      uploads.push(upload);
      if (!upload.ok || answeredSha256(upload) !== sha256) {
        console.log('upload failed:', upload.httpCode, upload.body, upload.stderr);
        return false;
      }
      const downloaded = path.join(files, `downloaded-${run}.bin`);
      const download = await sampled(pid, () => curl(['--fail', fileUrl], 'download', downloaded));
      const downloadMatches = download.ok && (await sha256File(downloaded)) === sha256;
      downloads.push({ ...download, ok: downloadMatches });
      if (!downloadMatches) {
        console.log('download failed or differs:', download.httpCode, download.stderr);
        return false;
      }
      discards.push(await curl(['--fail', fileUrl], 'download', '/dev/null'));
      return true;
    };
    for (let run = 0; run < repeats; run += 1) {
      const minimalFirst = run % 2 === 0;
      console.log(
        `round ${run + 1} of ${repeats}: cp, dd, then ${minimalFirst ? 'the minimal server, semreg' : 'semreg, the minimal server'} (curl PUT, GET; semreg also GET to /dev/null)…`,
      );
      copies.push(await copyReference('cp', big, path.join(files, `copy-${run}.bin`), bytes));
      dds.push(await copyReference('dd', big, path.join(files, `dd-${run}.bin`), bytes));
      if (minimalFirst) await minimalRound(run);
      if (!(await semregRound(run))) break;
      if (!minimalFirst) await minimalRound(run);
    }
    for (const name of fs.readdirSync(files)) fs.rmSync(path.join(files, name), { force: true });
    fs.rmSync(minimalDir, { recursive: true, force: true });
    const reference = {
      cpMbPerSecond: spread(copies.map((c) => c.copy)),
      cpSyncMbPerSecond: spread(copies.map((c) => c.copySync)),
      ddMbPerSecond: spread(dds.map((c) => c.copy)),
      ddSyncMbPerSecond: spread(dds.map((c) => c.copySync)),
      minimalServerGetMbPerSecond: minimalDownloads.every((t) => t.ok)
        ? spread(minimalDownloads.map((t) => t.mbPerSecond))
        : undefined,
      minimalServerPutMbPerSecond: minimalUploads.every((t) => t.ok)
        ? spread(minimalUploads.map((t) => t.mbPerSecond))
        : undefined,
    };
    const uploadOk = uploads.length === repeats && uploads.every((t) => t.ok);
    const uploadShaMatches = uploads.every((t) => answeredSha256(t) === sha256);
    const downloadOk = downloads.length === repeats && downloads.every((t) => t.ok);
    const upload = {
      mbPerSecond: spread(uploads.map((t) => t.mbPerSecond)),
      memory: worstMemory(uploads.map((t) => t.memory))!,
    };
    const download = downloadOk
      ? {
          mbPerSecond: spread(downloads.map((t) => t.mbPerSecond)),
          memory: worstMemory(downloads.map((t) => t.memory)),
        }
      : undefined;
    const discard =
      discards.length === repeats ? { mbPerSecond: spread(discards.map((t) => t.mbPerSecond)) } : undefined;

    console.log(`${options.parallel} parallel uploads of ${options.parallelMib} MiB…`);
    const partBytes = options.parallelMib * MiB;
    const parts = [];
    for (let i = 0; i < options.parallel; i += 1) {
      const file = path.join(files, `part-${i}.bin`);
      parts.push({ file, sha256: await writeRandomFile(file, partBytes), name: `part-${i}.bin` });
    }
    const sampler = TreeMemorySampler.start(pid);
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
    const listed = await listedSha256s(`${base}/2.0.0`);
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

    const cp = reference.cpMbPerSecond.median;
    const minimalPut = reference.minimalServerPutMbPerSecond?.median;
    const minimalGet = reference.minimalServerGetMbPerSecond?.median;
    const checks = {
      uploadOk,
      uploadSha256Matches: uploadShaMatches,
      downloadOk,
      parallelAllVerified: partChecks.every((c) => c.ok && c.answeredSha256Matches && c.listedSha256Matches),
      uploadAtLeast90PercentOfMinimalServer:
        uploadOk && minimalPut !== undefined && upload.mbPerSecond.median >= 0.9 * minimalPut,
      downloadAtLeast90PercentOfMinimalServer:
        download !== undefined && minimalGet !== undefined && download.mbPerSecond.median >= 0.9 * minimalGet,
      rssGrowthUnder64MiB:
        upload.memory.peakGrowthBytes < 64 * MiB &&
        (download?.memory?.peakGrowthBytes ?? Infinity) < 64 * MiB,
    };

    const size = options.fileMib % 1024 === 0 ? `${options.fileMib / 1024} GiB` : `${options.fileMib} MiB`;
    const pct = (x: number) => `${fixed(100 * x, 0)} %`;
    const range = (s: Spread) => `${fixed(s.min)}–${fixed(s.max)}`;
    // semreg's PUT and GET against the minimal server's (issue 15's goal); every row also against cp.
    const row = (what: string, s: Spread | undefined, minimal?: number, goal = ''): string[] =>
      s
        ? [what, fixed(s.median), range(s), pct(s.median / cp), minimal ? pct(s.median / minimal) : '', goal]
        : [what, 'not run / failed', '–', '–', '–', goal];
    const rows = [
      row(`cp ${size} (reference)`, reference.cpMbPerSecond),
      row(`cp + fsync ${size}`, reference.cpSyncMbPerSecond),
      row(`dd bs=4M ${size}`, reference.ddMbPerSecond),
      row(`dd bs=4M + fsync ${size}`, reference.ddSyncMbPerSecond),
      row(`curl PUT ${size} to a minimal Node server`, reference.minimalServerPutMbPerSecond),
      row(`curl GET ${size} from the minimal Node server`, reference.minimalServerGetMbPerSecond),
      row(`curl PUT ${size}`, uploadOk ? upload.mbPerSecond : undefined, minimalPut, '≥ 90 %'),
      row(`curl GET ${size}`, download?.mbPerSecond, minimalGet, '≥ 90 %'),
      row(`curl GET ${size} to /dev/null`, discard?.mbPerSecond),
      [
        `${options.parallel} × ${options.parallelMib} MiB parallel curl PUT (aggregate, one run)`,
        fixed(parallel.aggregateMbPerSecond),
        '–',
        pct(parallel.aggregateMbPerSecond / cp),
        '',
        '',
      ],
    ];
    const memoryRow = (what: string, m: MemoryReport | undefined) =>
      m
        ? [what, mib(m.baselineRssBytes), mib(m.peakGrowthBytes), mib(m.maxHwmRiseBytes)]
        : [what, '–', '–', '–'];
    const memoryRows = [
      memoryRow(`curl PUT ${size} × ${repeats}`, upload.memory),
      memoryRow(`curl GET ${size} × ${repeats}`, download?.memory),
      memoryRow(`${options.parallel} parallel PUTs`, parallelMemory),
    ];
    const markdown = [
      markdownTable(
        ['transfer', `MB/s (median of ${repeats})`, 'min–max', 'of cp', 'of the minimal server', 'goal'],
        rows,
      ),
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
      copies,
      dds,
      transfers: { uploads, downloads, downloadsToDevNull: discards, minimalUploads, minimalDownloads },
      parallel,
      checks,
      markdown,
    });
    console.log(`written to ${written}`);
    if (
      !checks.uploadOk ||
      !checks.uploadSha256Matches ||
      !checks.downloadOk ||
      !checks.parallelAllVerified
    ) {
      process.exitCode = 1;
    }
  } finally {
    await minimal?.stop();
    await server.stop();
    await pg.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
