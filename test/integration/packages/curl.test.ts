import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { uniqueName } from '../../helpers/mlflow';
import { createTestApp, TestApp } from '../../helpers/test-app';
import { mintToken } from '../../helpers/tokens';

/**
 * The upload lines a CI job would run, with the real `curl` binary against a listening server (issue 5
 * "shell tests"): raw upload, multipart, checksum mismatch, idempotent re-upload, 409 on changed bytes, the
 * GitLab JOB-TOKEN line, and a `curl -r` range download.
 */
const run = promisify(execFile);

describe('package uploads and downloads with curl (AUTH=on)', () => {
  let t: TestApp;
  let server: http.Server;
  let url: string;
  let token: string;
  let dir: string;

  beforeAll(async () => {
    t = await createTestApp({ AUTH: 'on' });
    token = await mintToken(t, 'write', { models: ['churn-*'] });
    server = http.createServer(t.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    dir = fs.mkdtempSync(path.join(t.dataDir, 'curl-'));
    fs.writeFileSync(path.join(dir, 'model.onnx'), crypto.randomBytes(300_000));
    fs.writeFileSync(path.join(dir, 'MLmodel'), 'flavors:\n  python_function: {}\n');
    fs.writeFileSync(path.join(dir, 'other.onnx'), crypto.randomBytes(1000));
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await t.close();
  });

  /** Runs curl; returns the HTTP status and body (curl's exit status is ignored: --fail is not used here). */
  async function curl(...args: string[]): Promise<{ status: number; body: string }> {
    const { stdout } = await run(
      'curl',
      ['--silent', '--show-error', '--write-out', '\n%{http_code}', ...args],
      { maxBuffer: 64 << 20 },
    );
    const cut = stdout.lastIndexOf('\n');
    return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) };
  }

  const auth = () => ['-H', `Authorization: Bearer ${token}`];
  const file = (name: string) => path.join(dir, name);
  const sha256 = (name: string) =>
    crypto
      .createHash('sha256')
      .update(fs.readFileSync(file(name)))
      .digest('hex');

  it('raw upload: curl --fail -T file → 201, then the same again → 200, other bytes → 409', async () => {
    const model = `churn-${uniqueName()}`;
    const target = `${url}/api/packages/${model}/1.4.0/model.onnx`;
    const first = await curl('--fail', '-T', file('model.onnx'), ...auth(), target);
    expect(first.status).toBe(201);
    expect(JSON.parse(first.body).file).toMatchObject({
      path: 'model.onnx',
      size: 300_000,
      sha256: sha256('model.onnx'),
    });
    expect((await curl('-T', file('model.onnx'), ...auth(), target)).status).toBe(200);
    const conflict = await curl('-T', file('other.onnx'), ...auth(), target);
    expect(conflict.status).toBe(409);
    expect(JSON.parse(conflict.body).error_code).toBe('RESOURCE_ALREADY_EXISTS');
    // `curl --fail` turns the 409 into a failing CI step.
    await expect(
      run('curl', ['--silent', '--fail', '-T', file('other.onnx'), ...auth(), target]),
    ).rejects.toMatchObject({ code: 22 });
  });

  it('multipart upload: curl -F file=@… -F "file=@…;filename=model/MLmodel" → 201 with both files', async () => {
    const model = `churn-${uniqueName()}`;
    const res = await curl(
      '-F',
      `file=@${file('model.onnx')}`,
      '-F',
      `file=@${file('MLmodel')};filename=model/MLmodel`,
      ...auth(),
      `${url}/api/packages/${model}/2.0.0`,
    );
    expect(res.status).toBe(201);
    expect(JSON.parse(res.body).files.map((f: { path: string }) => f.path)).toEqual([
      'model.onnx',
      'model/MLmodel',
    ]);
  });

  it('checksum mismatch: X-Checksum-Sha256 of other bytes → 400 and nothing stored', async () => {
    const model = `churn-${uniqueName()}`;
    const res = await curl(
      '-T',
      file('model.onnx'),
      ...auth(),
      '-H',
      `X-Checksum-Sha256: ${sha256('other.onnx')}`,
      `${url}/api/packages/${model}/1.0.0/model.onnx`,
    );
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).message).toContain('mismatch');
    expect((await curl(...auth(), `${url}/api/packages/${model}/1.0.0`)).status).toBe(404);
    const ok = await curl(
      '-T',
      file('model.onnx'),
      ...auth(),
      '-H',
      `X-Checksum-Sha256: ${sha256('model.onnx')}`,
      `${url}/api/packages/${model}/1.0.0/model.onnx`,
    );
    expect(ok.status).toBe(201);
  });

  it('GitLab CI upload line: curl --header "JOB-TOKEN: $CI_JOB_TOKEN" --upload-file … → 201 Created', async () => {
    const model = `churn-${uniqueName()}`;
    const res = await curl(
      '--header',
      `JOB-TOKEN: ${token}`,
      '--upload-file',
      file('model.onnx'),
      `${url}/api/v4/projects/17/packages/generic/${model}/0.0.1/model.onnx`,
    );
    expect(res).toEqual({ status: 201, body: '{"message":"201 Created"}' });
  });

  it('range download: curl -r 100-199 returns exactly those bytes (206)', async () => {
    const model = `churn-${uniqueName()}`;
    await curl(
      '--fail',
      '-T',
      file('model.onnx'),
      ...auth(),
      `${url}/api/packages/${model}/1.0.0/model.onnx`,
    );
    const out = path.join(dir, `${model}.part`);
    const { stdout } = await run('curl', [
      '--silent',
      '--fail',
      '-r',
      '100-199',
      '-o',
      out,
      '-w',
      '%{http_code}',
      ...auth(),
      `${url}/api/packages/${model}/latest/model.onnx`,
    ]);
    expect(stdout).toBe('206');
    expect(fs.readFileSync(out)).toEqual(fs.readFileSync(file('model.onnx')).subarray(100, 200));
    const whole = path.join(dir, `${model}.whole`);
    await run('curl', [
      '--silent',
      '--fail',
      '-o',
      whole,
      ...auth(),
      `${url}/api/packages/${model}/%5E1/model.onnx`,
    ]);
    expect(fs.readFileSync(whole)).toEqual(fs.readFileSync(file('model.onnx')));
  });

  it('without a token → 401, with a token for other models → 403', async () => {
    expect((await curl('-T', file('MLmodel'), `${url}/api/packages/churn-x/1.0.0/MLmodel`)).status).toBe(401);
    expect(
      (await curl('-T', file('MLmodel'), ...auth(), `${url}/api/packages/fraud/1.0.0/MLmodel`)).status,
    ).toBe(403);
    expect(
      (
        await curl(
          '-T',
          file('MLmodel'),
          '-u',
          `ci:${token}`,
          `${url}/api/packages/churn-basic-${uniqueName()}/1.0.0/MLmodel`,
        )
      ).status,
    ).toBe(201);
  });
});
