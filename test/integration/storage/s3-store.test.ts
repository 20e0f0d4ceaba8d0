import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { listen, runSemreg } from '../../helpers/cli';
import { createModel, createVersion, putArtifacts, uniqueName } from '../../helpers/mlflow';
import { freePort } from '../../helpers/server-process';
import { runS3 } from '../../helpers/seaweedfs';
import { createTestApp, TestApp } from '../../helpers/test-app';

/**
 * What only the S3 store has (the shared behaviour runs in the jest project `s3`): downloads straight from
 * the store through presigned links, `s3://` model sources, and the answers when the store fails.
 */
const sha256 = (data: string | Buffer) => crypto.createHash('sha256').update(data).digest('hex');
const s3 = runS3();
const modelId = () => `m-${crypto.randomBytes(16).toString('hex')}`;

describe('ARTIFACT_DOWNLOADS=redirect', () => {
  let t: TestApp;
  let server: { url: string; close(): Promise<void> };
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'semreg-s3-'));

  beforeAll(async () => {
    const bucket = await s3.newBucket('redirect');
    t = await createTestApp({
      ...s3.env(bucket, 'team/semreg'),
      ARTIFACT_DOWNLOADS: 'redirect',
      SIGNING_SECRET: 'shared-by-replicas',
    });
    server = await listen(t.app);
  });
  afterAll(async () => {
    await server.close();
    await t.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('answers a GET with 302 to a presigned URL of the store, which serves the bytes, ranges included; HEAD stays here', async () => {
    const data = crypto.randomBytes(100_000);
    await putArtifacts(t, '1/run-a/artifacts', { 'model.bin': data });
    const url = `${server.url}/api/2.0/mlflow-artifacts/artifacts/1/run-a/artifacts/model.bin`;

    const first = await fetch(url, { redirect: 'manual' });
    expect(first.status).toBe(302);
    const location = first.headers.get('location')!;
    expect(location.startsWith(`${s3.endpoint}/`)).toBe(true);
    expect(location).toContain('X-Amz-Signature=');
    expect(first.headers.get('x-checksum-sha256')).toBe(sha256(data));

    const followed = await fetch(url);
    expect(followed.status).toBe(200);
    expect(followed.headers.get('content-disposition')).toContain('model.bin');
    expect(Buffer.from(await followed.arrayBuffer())).toEqual(data);

    const ranged = await fetch(url, { headers: { Range: 'bytes=10-19' } });
    expect(ranged.status).toBe(206);
    expect(Buffer.from(await ranged.arrayBuffer())).toEqual(data.subarray(10, 20));

    const head = await fetch(url, { method: 'HEAD', redirect: 'manual' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(data.length));
    expect(head.headers.get('location')).toBeNull();
  });

  it('serves a package file to `curl -L` through the store', async () => {
    const model = uniqueName('pkg');
    const body = crypto.randomBytes(50_000);
    const put = await fetch(`${server.url}/api/packages/${model}/1.0.0/weights.bin`, {
      method: 'PUT',
      body,
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    expect(put.status).toBe(201);
    const out = path.join(tmp, 'weights.bin');
    // Asynchronously: the server answers from this very process.
    await promisify(execFile)('curl', [
      '-sfL',
      '-o',
      out,
      `${server.url}/api/packages/${model}/1.0.0/weights.bin`,
    ]);
    expect(fs.readFileSync(out)).toEqual(body);
  });

  it('hands out presigned store URLs from download-uris, carrying the sha256 that `semreg get` verifies', async () => {
    const files = {
      MLmodel: 'flavors: {}\n',
      'data/weights.bin': crypto.randomBytes(20_000).toString('hex'),
    };
    const model = await createModel(t, uniqueName('links'));
    await createVersion(t, model, {}, await putArtifacts(t, `0/models/${modelId()}/artifacts`, files));

    const links = await t.http.get(`/api/models/${model}/download-uris`).expect(200);
    expect(Object.keys(links.body).sort()).toEqual(Object.keys(files).sort());
    for (const [rel, link] of Object.entries(links.body as Record<string, string>)) {
      const url = new URL(link);
      expect(url.origin).toBe(s3.endpoint);
      expect(url.searchParams.get('semreg-sha256')).toBe(sha256(files[rel as keyof typeof files]));
      const res = await fetch(link);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(files[rel as keyof typeof files]);
      // The store refuses a link whose signed parameters were altered.
      url.searchParams.set('semreg-sha256', sha256('other'));
      expect((await fetch(url)).status).toBe(403);
    }

    const got = await runSemreg(['get', `${model}/1.0.0`, '-o', path.join(tmp, 'got')], {
      SEMREG_URL: server.url,
    });
    expect(got.stderr).toBe('');
    expect(got.code).toBe(0);
    expect(fs.readFileSync(path.join(tmp, 'got', 'data', 'weights.bin'), 'utf8')).toBe(
      files['data/weights.bin'],
    );
  });

  it('makes links the store itself refuses once they expire', async () => {
    const bucket = await s3.newBucket('expiry');
    const short = await createTestApp({
      ...s3.env(bucket, 'semreg'),
      ARTIFACT_DOWNLOADS: 'redirect',
      DOWNLOAD_LINK_TTL_SECONDS: '1',
    });
    try {
      const model = await createModel(short, uniqueName('expiry'));
      await createVersion(
        short,
        model,
        {},
        await putArtifacts(short, `0/models/${modelId()}/artifacts`, { f: 'x' }),
      );
      const links = await short.http.get(`/api/models/${model}/download-uris`).expect(200);
      expect((await fetch(links.body.f)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 2500));
      expect((await fetch(links.body.f)).status).toBe(403);
    } finally {
      await short.close();
    }
  });
});

describe('s3:// model-version sources', () => {
  let t: TestApp;
  let bucket: string;

  beforeAll(async () => {
    bucket = await s3.newBucket('sources');
    t = await createTestApp(s3.env(bucket, 'mlflow/artifacts'));
  });
  afterAll(() => t.close());

  it('resolves an object of the own store to the same files as mlflow-artifacts:/, and stores another bucket’s as given', async () => {
    const dir = `0/models/${modelId()}/artifacts`;
    await putArtifacts(t, dir, { MLmodel: 'flavors: {}\n' });
    const model = await createModel(t, uniqueName('s3src'));
    const version = await createVersion(t, model, {}, `s3://${bucket}/mlflow/artifacts/${dir}`);
    expect(version.source).toBe(`s3://${bucket}/mlflow/artifacts/${dir}`);
    const uri = await t.http
      .get('/api/2.0/mlflow/model-versions/get-download-uri')
      .query({ name: model, version: version.version })
      .expect(200);
    expect(uri.body.artifact_uri).toBe(`mlflow-artifacts:/${dir}`);
    const file = await t.http
      .get('/model-versions/get-artifact')
      .query({ name: model, version: version.version, path: 'MLmodel' })
      .expect(200);
    expect(file.text).toBe('flavors: {}\n');

    // Another bucket or prefix is an object store semreg does not serve: stored as given, never read.
    const elsewhere = await createVersion(t, model, {}, `s3://other-bucket/mlflow/artifacts/${dir}`);
    const elsewhereUri = await t.http
      .get('/api/2.0/mlflow/model-versions/get-download-uri')
      .query({ name: model, version: elsewhere.version })
      .expect(200);
    expect(elsewhereUri.body.artifact_uri).toBe(`s3://other-bucket/mlflow/artifacts/${dir}`);
    const refused = await t.http
      .post('/api/2.0/mlflow/model-versions/create')
      .send({ name: model, source: `s3://${bucket}/mlflow/artifacts/../x` });
    expect({ status: refused.status, code: refused.body.error_code }).toEqual({
      status: 400,
      code: 'INVALID_PARAMETER_VALUE',
    });
  });
});

describe('when the store fails', () => {
  it('answers 503 TEMPORARILY_UNAVAILABLE with Retry-After while the store is unreachable', async () => {
    const closed = await freePort();
    const t = await createTestApp({
      ...s3.env('unreachable', 'semreg'),
      S3_ENDPOINT_URL: `http://127.0.0.1:${closed}`,
    });
    try {
      for (const res of [
        await t.http.get('/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/f.txt'),
        await t.http.put('/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/f.txt').send('x'),
        await t.http.get('/api/2.0/mlflow-artifacts/artifacts').query({ path: '1' }),
      ]) {
        expect(res.status).toBe(503);
        expect(res.body.error_code).toBe('TEMPORARILY_UNAVAILABLE');
        expect(res.headers['retry-after']).toBe('5');
      }
      expect((await t.http.get('/ready')).status).toBe(503);
    } finally {
      await t.close();
    }
  });

  it('tells the operator, not the client, when the store refuses the credentials', async () => {
    const bucket = await s3.newBucket('creds');
    const t = await createTestApp({ ...s3.env(bucket, 'semreg'), AWS_SECRET_ACCESS_KEY: 'wrong' });
    try {
      const res = await t.http.put('/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/f.txt').send('x');
      expect(res.status).toBe(503);
      expect(res.body.message).toMatch(
        /refused semreg's credentials \((SignatureDoesNotMatch|InvalidAccessKeyId|AccessDenied|HTTP 403)\); an operator/,
      );
    } finally {
      await t.close();
    }
  });
});
