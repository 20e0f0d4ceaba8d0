import crypto from 'node:crypto';
import { uniqueName } from '../../helpers/mlflow';
import { storedKeysBelow, storedText } from '../../helpers/stored';
import { createTestApp, TestApp } from '../../helpers/test-app';

const sha256 = (data: Buffer | string) => crypto.createHash('sha256').update(data).digest('hex');
const md5b64 = (data: Buffer | string) => crypto.createHash('md5').update(data).digest('base64');

describe('PUT /api/packages/<model>/<semver>/<path> (raw body)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ MAX_PACKAGE_FILE_BYTES: String(64 * 1024) });
  });
  afterAll(() => t.close());

  const put = (model: string, semver: string, file: string, body: Buffer | string) =>
    t.http
      .put(`/api/packages/${model}/${semver}/${file}`)
      .set('Content-Type', 'application/octet-stream')
      .send(body);

  it('creates the registered model and a READY version with that semver on the first upload (201)', async () => {
    const model = uniqueName('churn');
    const res = await put(model, '1.4.0', 'model.onnx', 'onnx bytes').expect(201);
    expect(res.body).toEqual({
      file: { path: 'model.onnx', size: 10, sha256: sha256('onnx bytes'), created_at: expect.any(Number) },
      model_version: { name: model, version: '1', semver: '1.4.0' },
    });
    const mv = await t.http
      .get('/api/2.0/mlflow/model-versions/get')
      .query({ name: model, version: '1' })
      .expect(200);
    expect(mv.body.model_version.status).toBe('READY');
    expect(mv.body.model_version.source).toMatch(/^mlflow-artifacts:\/packages\/\d+\/1\.4\.0$/);
    const id = mv.body.model_version.source.split('/')[2];
    expect(await storedText(t, `packages/${id}/1.4.0/model.onnx`)).toBe('onnx bytes');
  });

  it('adds files to an existing version, nested paths included, and allocates the next integer version for a new semver', async () => {
    const model = uniqueName('churn');
    await put(model, '1.0.0', 'a.txt', 'a').expect(201);
    const nested = await put(model, '1.0.0', 'model/MLmodel', 'flavors: {}').expect(201);
    expect(nested.body.model_version).toEqual({ name: model, version: '1', semver: '1.0.0' });
    expect(nested.body.file.path).toBe('model/MLmodel');
    const next = await put(model, '2.0.0-rc.1', 'a.txt', 'b').expect(201);
    expect(next.body.model_version).toEqual({ name: model, version: '2', semver: '2.0.0-rc.1' });
  });

  it('is idempotent for identical bytes (200) and refuses different bytes with 409 RESOURCE_ALREADY_EXISTS', async () => {
    const model = uniqueName('churn');
    await put(model, '1.0.0', 'f.bin', 'same').expect(201);
    const again = await put(model, '1.0.0', 'f.bin', 'same').expect(200);
    expect(again.body.file.sha256).toBe(sha256('same'));
    const changed = await put(model, '1.0.0', 'f.bin', 'different');
    expect(changed.status).toBe(409);
    expect(changed.body.error_code).toBe('RESOURCE_ALREADY_EXISTS');
    expect(changed.body.message).toContain('immutable');
    const get = await t.http.get(`/api/packages/${model}/1.0.0/f.bin`).expect(200);
    expect(get.text ?? get.body.toString()).toBe('same');
  });

  it('replaces the file with ?overwrite=true (auth off: everyone is admin) and records an audit row', async () => {
    const model = uniqueName('churn');
    await put(model, '1.0.0', 'f.bin', 'one').expect(201);
    const res = await t.http.put(`/api/packages/${model}/1.0.0/f.bin?overwrite=true`).send('two').expect(201);
    expect(res.body.file.sha256).toBe(sha256('two'));
    const events = await t.db('package_file_events').where({ model_name: model, action: 'overwritten' });
    expect(events).toHaveLength(1);
    expect(events[0].sha256).toBe(sha256('one'));
  });

  describe('integrity', () => {
    it('accepts matching X-Checksum-Sha256, Content-MD5 and Digest headers', async () => {
      const model = uniqueName('churn');
      const body = 'checked bytes';
      await put(model, '1.0.0', 'a', body).set('X-Checksum-Sha256', sha256(body).toUpperCase()).expect(201);
      await put(model, '1.0.0', 'b', body).set('Content-MD5', md5b64(body)).expect(201);
      const digest = `sha-256=${crypto.createHash('sha256').update(body).digest('base64')}, md5=${md5b64(body)}`;
      await put(model, '1.0.0', 'c', body).set('Digest', digest).expect(201);
    });

    it.each([
      ['X-Checksum-Sha256', () => sha256('other')],
      ['Content-MD5', () => md5b64('other')],
      ['Digest', () => `sha-256=${crypto.createHash('sha256').update('other').digest('base64')}`],
    ])('refuses a %s mismatch and stores nothing: no row, no file, no version', async (headerName, value) => {
      const model = uniqueName('churn');
      const res = await put(model, '1.0.0', 'model.bin', 'actual bytes').set(headerName, value());
      expect(res.status).toBe(400);
      expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
      expect(
        await t
          .db('package_files')
          .count({ n: '*' })
          .where('path', 'model.bin')
          .join('model_versions as mv', 'mv.id', 'package_files.model_version_id')
          .join('registered_models as rm', 'rm.id', 'mv.registered_model_id')
          .where('rm.name', model),
      ).toEqual([{ n: 0 }]);
      expect(await t.db('registered_models').where({ name: model })).toHaveLength(0);
      const files = await storedKeysBelow(t, 'packages');
      expect(files.filter((f) => f.endsWith('model.bin'))).toEqual([]);
    });

    it.each([
      ['X-Checksum-Sha256', 'xyz'],
      ['Content-MD5', 'not base64!'],
      ['Digest', 'sha-256=AAAA'],
    ])('refuses a malformed %s header with 400', async (headerName, value) => {
      const res = await put(uniqueName('churn'), '1.0.0', 'x', 'x').set(headerName, value);
      expect(res.status).toBe(400);
    });
  });

  it('refuses a body over MAX_PACKAGE_FILE_BYTES with 413 before storing anything', async () => {
    const model = uniqueName('big');
    const res = await put(model, '1.0.0', 'big.bin', Buffer.alloc(64 * 1024 + 1));
    expect(res.status).toBe(413);
    expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(await t.db('registered_models').where({ name: model })).toHaveLength(0);
  });

  it('refuses a body over the limit sent without Content-Length (chunked) with 413', async () => {
    const model = uniqueName('big');
    const req = t.http.put(`/api/packages/${model}/1.0.0/big.bin`);
    for (let i = 0; i < 10; i += 1) req.write(Buffer.alloc(8 * 1024));
    const res = await req;
    expect(res.status).toBe(413);
    expect(await t.db('registered_models').where({ name: model })).toHaveLength(0);
  });

  it.each([
    ['an invalid semver', 'm', '1.4', 'f', /semver.org/],
    ['a v-prefixed semver', 'm', 'v1.4.0', 'f', /prefix/],
    ['a range on upload', 'm', '^1.4.0', 'f', /semantic version/],
    ['a traversal path', 'm', '1.0.0', '..%2F..%2Fetc%2Fpasswd', /'\.\.'/],
    ['a double-encoded traversal', 'm', '1.0.0', '%252e%252e/x', /'\.\.'/],
    ['a backslash path', 'm', '1.0.0', 'a%5Cb', /backslash/],
    ['a NUL in the path', 'm', '1.0.0', 'a%00b', /control|NUL|Invalid path/],
    ['a model name with a percent escape', 'churn%252Dx', '1.0.0', 'f', /percent/],
    ['a model name with ..', 'a..b', '1.0.0', 'f', /\.\./],
  ])('refuses %s with 400 naming the rule', async (_what, model, semver, file, message) => {
    const res = await put(model, semver, file, 'x');
    expect(res.status).toBe(400);
    expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    // A refused path reads "Invalid path" as in MLflow; the rule it broke is in `details`.
    expect(`${res.body.message} ${res.body.details ?? ''}`).toMatch(message);
  });

  it('refuses to add files to a version that was not created by a package upload (409)', async () => {
    const model = uniqueName('mlflow');
    await t.http.post('/api/2.0/mlflow/registered-models/create').send({ name: model }).expect(200);
    await t.http
      .post('/api/2.0/mlflow/model-versions/create')
      .send({
        name: model,
        source: 'mlflow-artifacts:/0/abc/artifacts/model',
        tags: [{ key: 'semver', value: '1.0.0' }],
      })
      .expect(200);
    const res = await put(model, '1.0.0', 'f', 'x');
    expect(res.status).toBe(409);
    expect(res.body.error_code).toBe('RESOURCE_CONFLICT');
  });

  it('links the file and the version to the CI job from X-CI-* headers', async () => {
    const model = uniqueName('ci');
    const res = await put(model, '3.0.0', 'f', 'x')
      .set('X-CI-Job-Id', '4242')
      .set('X-CI-Pipeline-Id', '77')
      .set('X-CI-Commit-Sha', 'abcdef0123')
      .expect(201);
    expect(res.body.file.ci_job_id).toBe('4242');
    const mv = await t.http
      .get('/api/2.0/mlflow/model-versions/get')
      .query({ name: model, version: '1' })
      .expect(200);
    const tags = Object.fromEntries(
      mv.body.model_version.tags.map((tag: { key: string; value: string }) => [tag.key, tag.value]),
    );
    expect(tags).toMatchObject({
      'ci.job_id': '4242',
      'ci.pipeline_id': '77',
      'ci.commit_sha': 'abcdef0123',
      semver: '3.0.0',
    });
  });

  it('serialises concurrent uploads of the same new path: one wins, the other gets 409 or 200, the bytes match the row', async () => {
    const model = uniqueName('race');
    const bodies = ['first body', 'second body', 'third body', 'fourth body'];
    const results = await Promise.all(bodies.map((body) => put(model, '1.0.0', 'same.bin', body)));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    const listing = await t.http.get(`/api/packages/${model}/1.0.0`).expect(200);
    const onServer = await t.http
      .get(`/api/packages/${model}/1.0.0/same.bin`)
      .buffer(true)
      .parse((res, cb) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => cb(null, Buffer.concat(chunks)));
      });
    expect(sha256(onServer.body)).toBe(listing.body.files[0].sha256);
  });

  it('creates one version when first uploads of different files race', async () => {
    const model = uniqueName('race');
    const results = await Promise.all(
      ['a', 'b', 'c', 'd', 'e'].map((file) => put(model, '1.0.0', file, file)),
    );
    expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    expect(new Set(results.map((r) => r.body.model_version.version))).toEqual(new Set(['1']));
    const listing = await t.http.get(`/api/packages/${model}/1.0.0`).expect(200);
    expect(listing.body.files.map((f: { path: string }) => f.path)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });
});
