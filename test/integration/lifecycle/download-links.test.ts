import crypto from 'node:crypto';
import { isSignedDownloadPath } from '../../../src/lifecycle/download-links';
import { createTestApp, TestApp } from '../../helpers/test-app';
import { createModel, createVersion, putArtifacts, uniqueName } from '../../helpers/mlflow';

/** Signed download links: every file of a version, usable without a token until they expire. */
describe('GET /api/models/<name>/download-uris and the signed links', () => {
  let t: TestApp;
  const files: Record<string, string> = {
    MLmodel: 'flavors: {}\n',
    'data/model.pkl': 'pickled-bytes',
    'data/deep/a b.txt': 'spaces ok',
  };

  beforeAll(async () => {
    t = await createTestApp({ SIGNING_SECRET: 'test-signing-secret', DOWNLOAD_LINK_TTL_SECONDS: '60' });
  });
  afterAll(async () => {
    await t.close();
  });

  async function versionWithFiles(): Promise<{ name: string; version: string }> {
    const name = await createModel(t, uniqueName('dl'));
    const modelId = `m-${crypto.randomBytes(16).toString('hex')}`;
    const source = await putArtifacts(t, `0/models/${modelId}/artifacts`, files);
    const mv = await createVersion(t, name, {}, source);
    return { name, version: mv.version };
  }

  /** Fetches a signed link the way a tokenless client would: only its path and query, nothing else. */
  const fetchLink = (url: string) =>
    t.http
      .get(new URL(url).pathname + new URL(url).search)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      });

  it('lists every file of the version with an absolute signed URL that serves its bytes', async () => {
    const { name } = await versionWithFiles();
    const res = await t.http.get(`/api/models/${name}/download-uris`).query({ version: '1' }).expect(200);
    expect(Object.keys(res.body).sort()).toEqual(Object.keys(files).sort());
    for (const [rel, url] of Object.entries(res.body as Record<string, string>)) {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1(:\d+)?\/api\/downloads\//);
      expect(url).toContain('expires=');
      expect(url).toContain('signature=');
      const download = await fetchLink(url).expect(200);
      expect(download.body.toString()).toBe(files[rel]);
      expect(download.headers['content-disposition']).toContain('attachment');
      expect(download.headers['content-length']).toBe(String(Buffer.byteLength(files[rel])));
      expect(download.headers['x-checksum-sha256']).toBe(
        crypto.createHash('sha256').update(files[rel]).digest('hex'),
      );
    }
  });

  it('selects the version by semver, range, alias, stage or latest', async () => {
    const { name } = await versionWithFiles();
    await t.http
      .post('/api/2.0/mlflow/registered-models/alias')
      .send({ name, alias: 'champion', version: '1' })
      .expect(200);
    await t.http.post(`/api/models/${name}/promote`).send({ stage: 'Production', version: '1' }).expect(200);
    for (const query of [
      { semver: '1.0.0' },
      { range: '^1' },
      { alias: 'champion' },
      { stage: 'Production' },
      {},
    ]) {
      const res = await t.http.get(`/api/models/${name}/download-uris`).query(query).expect(200);
      expect(Object.keys(res.body)).toHaveLength(3);
    }
    const none = await t.http
      .get(`/api/models/${name}/download-uris`)
      .query({ stage: 'Staging' })
      .expect(404);
    expect(none.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('refuses a tampered link with 403', async () => {
    const { name } = await versionWithFiles();
    const res = await t.http.get(`/api/models/${name}/download-uris`).expect(200);
    const url = new URL(res.body.MLmodel);
    const tampered = [
      url.pathname.replace('/MLmodel', '/data/model.pkl') + url.search,
      url.pathname + url.search.replace(/expires=(\d+)/, (_m, e) => `expires=${Number(e) + 3600}`),
      url.pathname + url.search.replace(/signature=([^&]+)/, 'signature=AAAA'),
      url.pathname,
      url.pathname.replace(`/${encodeURIComponent(name)}/`, '/other-model/') + url.search,
    ];
    for (const link of tampered) {
      const bad = await t.http.get(link).expect(403);
      expect(bad.body.error_code).toBe('PERMISSION_DENIED');
    }
  });

  it('refuses an expired link with 403', async () => {
    const { name } = await versionWithFiles();
    const now = Date.now();
    jest.spyOn(Date, 'now').mockReturnValue(now - 120_000); // links issued two minutes ago, with a 60 s TTL
    let res;
    try {
      res = await t.http.get(`/api/models/${name}/download-uris`).expect(200);
    } finally {
      jest.restoreAllMocks();
    }
    const url = new URL(res.body.MLmodel);
    const expired = await t.http.get(url.pathname + url.search).expect(403);
    expect(expired.body.message).toContain('expired');
  });

  it('a link stops working when its version is deleted', async () => {
    const { name } = await versionWithFiles();
    const res = await t.http.get(`/api/models/${name}/download-uris`).expect(200);
    await t.http.delete('/api/2.0/mlflow/model-versions/delete').send({ name, version: '1' }).expect(200);
    const url = new URL(res.body.MLmodel);
    await t.http.get(url.pathname + url.search).expect(404);
  });

  it('isSignedDownloadPath marks only the download route as token-free', () => {
    expect(isSignedDownloadPath('/api/downloads/m/1/MLmodel')).toBe(true);
    expect(isSignedDownloadPath('/api/models/m/download-uris')).toBe(false);
    expect(isSignedDownloadPath('/api/2.0/mlflow/registered-models/get')).toBe(false);
  });
});
