import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { ensureDatabase } from '../../src/db/ensure-database';
import { createDb, Db } from '../../src/db/knex';
import { mountSmallFileSystem } from '../helpers/small-filesystem';
import { call, makeDataDir, ServerProcess, startServer } from '../helpers/server-process';

/**
 * Issue 6 fault case 5: the artifact root fills up mid-upload. The artifact root is a real 2 MiB tmpfs
 * (`mount -t tmpfs`, we run as root); when tmpfs is not allowed, a loop-mounted ext4 image of 4 MiB. The upload
 * must fail with 507 (RESOURCE_EXHAUSTED, not retried by the client) and a clear JSON message, leave no file —
 * final or temporary — behind, and change nothing in the database.
 */
/**
 * A PUT that keeps the server's answer even when the server answers before the body is fully sent and then
 * closes the connection (the client's remaining writes then fail with EPIPE — fetch() would only report that).
 */
function putAllowingEarlyAnswer(
  url: string,
  body: Buffer,
): Promise<{ status: number; contentType: string; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'PUT', headers: { 'Content-Length': body.length } });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type']), text }),
      );
    });
    req.on('error', (err) => setTimeout(() => reject(err), 2000)); // give an early answer time to be read
    req.end(body);
  });
}

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

describe('disk full on the artifact root', () => {
  let server: ServerProcess;
  let db: Db;
  let root: string;
  let kind: string;
  beforeAll(async () => {
    const databaseUrl = await ensureDatabase(
      process.env.TEST_DATABASE_URL!,
      `f_${crypto.randomBytes(6).toString('hex')}`,
    );
    db = createDb(databaseUrl, 2);
    root = path.join(makeDataDir('semreg-full-'), 'artifacts');
    fs.mkdirSync(root);
    kind = mountSmallFileSystem(root);
    server = await startServer({ databaseUrl, env: { ARTIFACT_ROOT: root } });
  });
  afterAll(async () => {
    await server?.stop();
    await db?.destroy();
    if (root) execFileSync('umount', [root]);
  });

  it(`answers 507 with a clear error, leaves no partial file and no row`, async () => {
    console.info(`artifact root: ${kind}`);
    const small = Buffer.alloc(100 * 1024, 1);
    const ok = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/0/r1/artifacts/small.bin`, {
      method: 'PUT',
      body: small,
    });
    expect(ok.status).toBe(200);
    const rowsBefore = await db('stored_files').select('key', 'size', 'sha256').orderBy('key');
    const filesBefore = filesUnder(root).sort();

    const big = Buffer.alloc(5 * 1024 * 1024, 7);
    const full = await putAllowingEarlyAnswer(
      `${server.url}/api/2.0/mlflow-artifacts/artifacts/0/r1/artifacts/big.bin`,
      big,
    );
    const body = JSON.parse(full.text) as { error_code: string; message: string };
    expect(full.status).toBe(507);
    expect(full.contentType).toMatch(/^application\/json/);
    expect(body.error_code).toBe('RESOURCE_EXHAUSTED');
    expect(body.message).toMatch(/full/i);

    expect(filesUnder(root).sort()).toEqual(filesBefore); // neither big.bin nor a temporary file remains
    expect(await db('stored_files').select('key', 'size', 'sha256').orderBy('key')).toEqual(rowsBefore);
    const get = await call(server.url, 'GET', '/api/2.0/mlflow-artifacts/artifacts/0/r1/artifacts/big.bin');
    expect(get.status).toBe(404);
    const list = await call(server.url, 'GET', '/api/2.0/mlflow-artifacts/artifacts?path=0/r1/artifacts');
    expect((list.body.files ?? []).map((f: { path: string }) => f.path)).toEqual(['small.bin']);

    // Space freed → the next upload works without a restart.
    const again = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/0/r1/artifacts/after.bin`, {
      method: 'PUT',
      body: small,
    });
    expect(again.status).toBe(200);
  });

  it('keeps serving after answering 507 to large curl uploads it was still receiving', async () => {
    // curl sends `Expect: 100-continue` and keeps sending after the early answer; a body this large is not
    // drained but closed on (errors.ts). Node has then let go of the request's socket when the answer
    // closes, which once crashed the request log (a 5xx is logged at warn's level too).
    const file = path.join(makeDataDir('semreg-huge-'), 'huge.bin');
    fs.writeFileSync(file, Buffer.alloc(100 * 1024 * 1024, 3));
    for (const url of [
      '/api/packages/full-disk/1.0.0/huge.bin',
      '/api/2.0/mlflow-artifacts/artifacts/0/r2/huge.bin',
    ]) {
      const status = execFileSync('curl', [
        '-s',
        '-o',
        '/dev/null',
        '-w',
        '%{http_code}',
        '-T',
        file,
        `${server.url}${url}`,
      ]);
      expect(status.toString()).toBe('507');
    }
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect(server.output()).not.toMatch(/TypeError|uncaught/i);
  });
});
