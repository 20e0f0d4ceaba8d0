import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { distinctFreePorts } from './server-process';

/**
 * A real SeaweedFS (`weed mini`: master, volume, filer and S3 gateway in one process) for the tests that
 * need an S3-compatible store. Built from source once per machine by scripts/build-seaweedfs.sh; every port
 * is chosen free and bound to loopback, so several can run side by side and no traffic leaves the host.
 */
export interface S3Access {
  /** The S3 endpoint, `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** The environment a semreg process (or the MLflow client) needs to reach `bucket/prefix` here. */
  env(bucket: string, prefix?: string): Record<string, string>;
  /** A client of the store, for creating buckets and looking behind semreg's back. */
  client(): S3Client;
  /** A new, empty bucket with a unique name. */
  newBucket(prefix?: string): Promise<string>;
}

export interface SeaweedFs extends S3Access {
  /** SIGKILL: the store disappears mid-request, as a crashed host would. */
  kill(): Promise<void>;
  /** Starts it again on the same data and ports (after `kill`). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** The cached `weed` binary, built first when this machine has none (several minutes, once). */
export function seaweedBinary(): string {
  const output = execFileSync('bash', [path.join(REPO_ROOT, 'scripts', 'build-seaweedfs.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return output.trim().split('\n').pop()!;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startSeaweedFs(options: { buckets?: string[] } = {}): Promise<SeaweedFs> {
  const binary = seaweedBinary();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'semreg-seaweedfs-'));
  const accessKeyId = 'semreg-test';
  const secretAccessKey = crypto.randomBytes(16).toString('hex');
  const [s3, master, volume, filer, admin, ...grpc] = await distinctFreePorts(10);
  const endpoint = `http://127.0.0.1:${s3}`;
  const args = [
    // glog writes its own log files to /tmp, whatever TMPDIR says, unless told where.
    `-logdir=${dir}`,
    'mini',
    `-dir=${dir}`,
    // Without -ip the volume servers advertise a non-loopback address and uploads fail.
    '-ip=127.0.0.1',
    '-ip.bind=127.0.0.1',
    '-master.telemetry=false',
    '-webdav=false',
    '-admin.ui=false',
    '-s3.port.iceberg=0',
    '-s3.port.lance=0',
    // As on AWS: writing to a missing bucket fails instead of creating it.
    '-s3.autoCreateBucket=false',
    // Every bucket is a collection that grows volumes of its own; left to itself, `mini` sizes volumes from
    // the free disk (up to 1 GiB) and caps their number at free disk / size, so a run with dozens of buckets
    // ran out of writable volumes and PUTs failed with InternalError. Small volumes, explicit cap.
    '-master.volumeSizeLimitMB=64',
    '-volume.max=1000',
    `-s3.port=${s3}`,
    `-master.port=${master}`,
    `-volume.port=${volume}`,
    `-filer.port=${filer}`,
    `-admin.port=${admin}`,
    '-admin.port.legacy=0',
    `-s3.port.grpc=${grpc[0]}`,
    `-master.port.grpc=${grpc[1]}`,
    `-volume.port.grpc=${grpc[2]}`,
    `-filer.port.grpc=${grpc[3]}`,
    `-admin.port.grpc=${grpc[4]}`,
  ];
  if (options.buckets?.length) args.push(`-bucket=${options.buckets.join(',')}`);
  const logPath = path.join(dir, 'weed.log');
  let child: ChildProcess;

  const launch = async () => {
    const log = fs.openSync(logPath, 'a');
    child = spawn(binary, args, {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: dir,
        AWS_ACCESS_KEY_ID: accessKeyId,
        AWS_SECRET_ACCESS_KEY: secretAccessKey,
      },
      stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    await waitUntilServing(endpoint, child, logPath);
  };
  await launch();

  return {
    ...s3Access(endpoint, accessKeyId, secretAccessKey),
    async kill() {
      child.kill('SIGKILL');
      await exited(child);
    },
    restart: launch,
    async stop() {
      child.kill('SIGTERM');
      const killed = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited(child);
      clearTimeout(killed);
      fs.rmSync(dir, { recursive: true, force: true });
      // The master's and volume server's gRPC sockets go to /tmp whatever TMPDIR says (no flag moves them),
      // named by port, and outlive the process.
      for (const [role, port] of [
        ['master', grpc[1]],
        ['volume', grpc[2]],
      ])
        fs.rmSync(`/tmp/seaweedfs-${role}-grpc-${port}.sock`, { force: true });
    },
  };
}

function s3Access(endpoint: string, accessKeyId: string, secretAccessKey: string): S3Access {
  const client = () =>
    new S3Client({
      endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: { accessKeyId, secretAccessKey },
    });
  return {
    endpoint,
    accessKeyId,
    secretAccessKey,
    env: (bucket, prefix) => ({
      ARTIFACTS_DESTINATION: `s3://${bucket}${prefix ? `/${prefix}` : ''}`,
      S3_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: accessKeyId,
      AWS_SECRET_ACCESS_KEY: secretAccessKey,
      AWS_REGION: 'us-east-1',
    }),
    client,
    async newBucket(prefix = 'test') {
      const bucket = `${prefix}-${crypto.randomBytes(6).toString('hex')}`;
      const s3 = client();
      try {
        await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      } finally {
        s3.destroy();
      }
      return bucket;
    },
  };
}

const RUN_ENV = [
  'SEMREG_TEST_S3_ENDPOINT',
  'SEMREG_TEST_S3_ACCESS_KEY_ID',
  'SEMREG_TEST_S3_SECRET_ACCESS_KEY',
];

/** Hands the run's SeaweedFS to the test processes (jest's global setup starts it before any worker). */
export function publishForRun(store: SeaweedFs): void {
  process.env.SEMREG_TEST_S3_ENDPOINT = store.endpoint;
  process.env.SEMREG_TEST_S3_ACCESS_KEY_ID = store.accessKeyId;
  process.env.SEMREG_TEST_S3_SECRET_ACCESS_KEY = store.secretAccessKey;
}

/** The SeaweedFS of this jest run. */
export function runS3(): S3Access {
  const [endpoint, accessKeyId, secretAccessKey] = RUN_ENV.map((name) => process.env[name]);
  if (!endpoint || !accessKeyId || !secretAccessKey)
    throw new Error('No SeaweedFS for this run: run the tests through jest (global setup)');
  return s3Access(endpoint, accessKeyId, secretAccessKey);
}

/** Until the S3 gateway answers HTTP (any status: unauthenticated requests get 403). */
async function waitUntilServing(endpoint: string, child: ChildProcess, logPath: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`SeaweedFS exited with ${child.exitCode}:\n${fs.readFileSync(logPath, 'utf8')}`);
    const answered = await fetch(endpoint).then(
      () => true,
      () => false,
    );
    if (answered) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill('SIGKILL');
  throw new Error(`SeaweedFS did not start within 60 s:\n${fs.readFileSync(logPath, 'utf8')}`);
}
