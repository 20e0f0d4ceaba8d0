import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { loadConfig, type S3Destination } from '../../src/config';
import { S3Store } from '../../src/storage/s3-store';
import type { S3Access } from '../../test/helpers/seaweedfs';
import { REPO } from './results';

/**
 * A real S3 client from PyPI (boto3, pinned) moving files straight between this machine and the store: what a
 * transfer through semreg is measured against. It lives in the same cached virtualenv as the reference MLflow
 * (`.venv-bench/`, see mlflow-server.ts), installed there when missing or at another version.
 */
export const BOTO3_REQUIREMENT = 'boto3==1.44.8';

const VENV = path.join(REPO, '.venv-bench');
const SCRIPT = path.join(REPO, 'bench/lib/s3-transfer.py');

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { stdio: 'inherit' });
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal})`);
}

/** The venv's python, with boto3 at the pinned version. */
export function ensureBoto3(): string {
  const python = path.join(VENV, 'bin/python');
  const version = BOTO3_REQUIREMENT.split('==')[1];
  const check = `import sys, boto3; sys.exit(boto3.__version__ != ${JSON.stringify(version)})`;
  if (fs.existsSync(python) && spawnSync(python, ['-c', check]).status === 0) return python;
  console.log(`installing ${BOTO3_REQUIREMENT} into .venv-bench/ (once)…`);
  if (!fs.existsSync(python)) run('python3', ['-m', 'venv', VENV]);
  run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', BOTO3_REQUIREMENT]);
  return python;
}

export interface DirectTransfer {
  ok: boolean;
  /** From the first request to the last byte, measured inside the Python process. */
  seconds: number;
  /** CPU seconds of the client process (all its threads) over the same span. */
  clientCpuSeconds: number;
  error: string;
}

/**
 * Uploads or downloads `file → key` pairs at once with boto3's transfer manager (lib/s3-transfer.py); a
 * download to `/dev/null` writes nothing. The credentials reach Python through its environment only.
 */
export async function directTransfer(
  python: string,
  access: S3Access,
  direction: 'upload' | 'download',
  bucket: string,
  transfers: ReadonlyArray<{ file: string; key: string }>,
): Promise<DirectTransfer> {
  const args = [SCRIPT, direction, bucket, ...transfers.map((t) => `${t.file}=${t.key}`)];
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    ...access.env(bucket),
    // The script reads no other configuration: no ~/.aws file or profile can change what is measured.
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  };
  try {
    const { stdout } = await promisify(execFile)(python, args, { env, maxBuffer: 1024 * 1024 });
    const result = JSON.parse(stdout.trim().split('\n').pop() as string) as {
      seconds: number;
      cpuSeconds: number;
    };
    return { ok: true, seconds: result.seconds, clientCpuSeconds: result.cpuSeconds, error: '' };
  } catch (err) {
    const failure = err as Error & { stderr?: string };
    return {
      ok: false,
      seconds: NaN,
      clientCpuSeconds: NaN,
      error: (failure.stderr || failure.message).slice(-2000),
    };
  }
}

/**
 * semreg's own S3 store (src/storage/s3-store.ts, the client settings semreg uses) putting the file from disk
 * in this process: semreg without HTTP, curl, the database or the package rules, as bench:packages measures
 * a minimal upload server. Objects go below `prefix` in `bucket`.
 */
export async function storePut(
  access: S3Access,
  bucket: string,
  prefix: string,
  file: string,
  key: string,
  sha256: string,
): Promise<DirectTransfer> {
  const config = loadConfig(access.env(bucket, prefix));
  const store = S3Store.open(config.artifactsDestination as S3Destination);
  try {
    const cpu = process.cpuUsage();
    const started = performance.now();
    const result = await store.put(key, fs.createReadStream(file, { highWaterMark: 1024 * 1024 }), {
      // The package PUT's limit, as the server passes it: the store sizes its multipart parts from it.
      maxBytes: config.maxPackageFileBytes,
      expectedSha256: sha256,
    });
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const ok = result.sha256 === sha256;
    return {
      ok,
      seconds,
      clientCpuSeconds: (used.user + used.system) / 1e6,
      error: ok ? '' : 'sha256 differs',
    };
  } catch (err) {
    return { ok: false, seconds: NaN, clientCpuSeconds: NaN, error: String(err) };
  } finally {
    store.close();
  }
}
