import crypto from 'node:crypto';
import { uniqueName } from '../../helpers/mlflow';
import { createTestApp, TestApp } from '../../helpers/test-app';
import { bearer, mintToken } from '../../helpers/tokens';

const sha256 = (data: Buffer | string) => crypto.createHash('sha256').update(data).digest('hex');

describe('POST /api/packages/<model>/<semver> (multipart)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ MAX_PACKAGE_FILE_BYTES: String(32 * 1024) });
  });
  afterAll(() => t.close());

  // form-data (under supertest) sends only the basename of `filename`; `filepath` sends the whole path, as
  // `curl -F 'file=@MLmodel;filename=model/MLmodel'` does.
  it('stores every part named file under its filename (nested paths kept) in one version (201)', async () => {
    const model = uniqueName('mp');
    const res = await t.http
      .post(`/api/packages/${model}/1.0.0`)
      .attach('file', Buffer.from('onnx'), 'model.onnx')
      .attach('file', Buffer.from('flavors: {}'), { filepath: 'model/MLmodel' } as never)
      .expect(201);
    expect(res.body.model_version).toEqual({ name: model, version: '1', semver: '1.0.0' });
    expect(res.body.files.map((f: { path: string; sha256: string }) => [f.path, f.sha256])).toEqual([
      ['model.onnx', sha256('onnx')],
      ['model/MLmodel', sha256('flavors: {}')],
    ]);
    const listing = await t.http.get(`/api/packages/${model}/1.0.0`).expect(200);
    expect(listing.body.files).toHaveLength(2);
  });

  it('is idempotent (200) when every part is already stored with the same bytes, 409 when one differs', async () => {
    const model = uniqueName('mp');
    const send = (second: string) =>
      t.http
        .post(`/api/packages/${model}/1.0.0`)
        .attach('file', Buffer.from('a'), 'a.txt')
        .attach('file', Buffer.from(second), 'b.txt');
    await send('b').expect(201);
    await send('b').expect(200);
    const conflict = await send('B');
    expect(conflict.status).toBe(409);
    expect(conflict.body.error_code).toBe('RESOURCE_ALREADY_EXISTS');
  });

  it('is all-or-nothing: a bad part leaves no row and no file from the earlier parts', async () => {
    const model = uniqueName('mp');
    const res = await t.http
      .post(`/api/packages/${model}/1.0.0`)
      .attach('file', Buffer.from('good'), 'good.txt')
      .attach('file', Buffer.from('bad'), { filepath: '../escape.txt' } as never);
    expect(res.status).toBe(400);
    expect(await t.db('registered_models').where({ name: model })).toHaveLength(0);
    expect(
      await t
        .db('package_files')
        .where({ path: 'good.txt' })
        .join('model_versions as mv', 'mv.id', 'package_files.model_version_id')
        .join('registered_models as rm', 'rm.id', 'mv.registered_model_id')
        .where('rm.name', model),
    ).toHaveLength(0);
  });

  it('refuses a part over MAX_PACKAGE_FILE_BYTES with 413 and stores nothing', async () => {
    const model = uniqueName('mp');
    const res = await t.http
      .post(`/api/packages/${model}/1.0.0`)
      .attach('file', Buffer.from('small'), 'small.txt')
      .attach('file', Buffer.alloc(32 * 1024 + 1), 'big.bin');
    expect(res.status).toBe(413);
    expect(await t.db('registered_models').where({ name: model })).toHaveLength(0);
  });

  it.each([
    ['a part not named file', (r: any) => r.attach('upload', Buffer.from('x'), 'x.txt'), /named 'file'/],
    ['no part at all', (r: any) => r.field('note', 'hello'), /no file/],
    [
      'the same path twice',
      (r: any) => r.attach('file', Buffer.from('1'), 'x.txt').attach('file', Buffer.from('2'), 'x.txt'),
      /twice/,
    ],
  ])('refuses %s with 400', async (_what, build, message) => {
    const res = await build(t.http.post(`/api/packages/${uniqueName('mp')}/1.0.0`));
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(message);
  });

  it('refuses a non-multipart body with 400', async () => {
    const res = await t.http
      .post(`/api/packages/${uniqueName('mp')}/1.0.0`)
      .set('Content-Type', 'application/json')
      .send('{}');
    expect(res.status).toBe(400);
    expect(res.body.message).toContain('multipart/form-data');
  });

  it('refuses a truncated multipart body with 400, storing nothing', async () => {
    const model = uniqueName('mp');
    const body = '--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\npartial';
    const res = await t.http
      .post(`/api/packages/${model}/1.0.0`)
      .set('Content-Type', 'multipart/form-data; boundary=XyZ')
      .send(body);
    expect(res.status).toBe(400);
    expect(await t.db('registered_models').where({ name: model })).toHaveLength(0);
  });
});

describe('GitLab generic packages: /api/v4/projects/<id>/packages/generic/<model>/<semver>/<file>', () => {
  let t: TestApp;
  let jobToken: string;
  beforeAll(async () => {
    t = await createTestApp({ AUTH: 'on' });
    jobToken = await mintToken(t, 'write', { models: ['gl-*'] });
  });
  afterAll(() => t.close());

  it('accepts the unchanged GitLab upload line (JOB-TOKEN, PUT) with 201 {"message":"201 Created"} and serves the file back', async () => {
    const model = uniqueName('gl');
    const res = await t.http
      .put(`/api/v4/projects/42/packages/generic/${model}/0.3.1/model.tar.gz`)
      .set('JOB-TOKEN', jobToken)
      .send('tarball')
      .expect(201);
    expect(res.body).toEqual({ message: '201 Created' });
    const get = await t.http
      .get(`/api/v4/projects/42/packages/generic/${model}/0.3.1/model.tar.gz`)
      .set('PRIVATE-TOKEN', jobToken)
      .expect(200);
    expect(get.text ?? get.body.toString()).toBe('tarball');
    await t.http.get(`/api/packages/${model}/0.3.1/model.tar.gz`).set('Deploy-Token', jobToken).expect(200);
  });

  it('refuses the upload without a token (401) and outside the token’s models (403)', async () => {
    expect((await t.http.put(`/api/v4/projects/42/packages/generic/gl-x/1.0.0/f`).send('x')).status).toBe(
      401,
    );
    const res = await t.http
      .put(`/api/v4/projects/42/packages/generic/other/1.0.0/f`)
      .set('JOB-TOKEN', jobToken)
      .send('x');
    expect(res.status).toBe(403);
    expect(await t.db('registered_models').where({ name: 'other' })).toHaveLength(0);
  });
});

describe('packages with AUTH=on', () => {
  let t: TestApp;
  let read: string;
  let write: string;
  let admin: string;
  let churnWriter: string;
  let model: string;

  beforeAll(async () => {
    t = await createTestApp({ AUTH: 'on' });
    [read, write, admin, churnWriter] = await Promise.all([
      mintToken(t, 'read'),
      mintToken(t, 'write'),
      mintToken(t, 'admin'),
      mintToken(t, 'write', { models: ['churn-*'] }),
    ]);
    model = `churn-${uniqueName()}`;
    await t.http.put(`/api/packages/${model}/1.0.0/f.bin`).set(bearer(churnWriter)).send('v1').expect(201);
  });
  afterAll(() => t.close());

  it('lets read tokens download and list but not upload', async () => {
    await t.http.get(`/api/packages/${model}/1.0.0/f.bin`).set(bearer(read)).expect(200);
    await t.http.get(`/api/packages/${model}`).set(bearer(read)).expect(200);
    const res = await t.http.put(`/api/packages/${model}/1.0.1/f.bin`).set(bearer(read)).send('x');
    expect(res.status).toBe(403);
    expect(res.body.error_code).toBe('PERMISSION_DENIED');
  });

  it('refuses a model-restricted token other models, by the name in the path', async () => {
    const res = await t.http
      .put(`/api/packages/fraud-${uniqueName()}/1.0.0/f.bin`)
      .set(bearer(churnWriter))
      .send('x');
    expect(res.status).toBe(403);
    const multipart = await t.http
      .post(`/api/packages/fraud-x/1.0.0`)
      .set(bearer(churnWriter))
      .attach('file', Buffer.from('x'), 'f');
    expect(multipart.status).toBe(403);
  });

  it('needs an admin token for ?overwrite=true and for deletes', async () => {
    for (const token of [write, churnWriter]) {
      expect(
        (await t.http.put(`/api/packages/${model}/1.0.0/f.bin?overwrite=true`).set(bearer(token)).send('v2'))
          .status,
      ).toBe(403);
      expect((await t.http.delete(`/api/packages/${model}/1.0.0/f.bin`).set(bearer(token))).status).toBe(403);
      expect((await t.http.delete(`/api/packages/${model}/1.0.0?all=true`).set(bearer(token))).status).toBe(
        403,
      );
    }
    await t.http
      .put(`/api/packages/${model}/1.0.0/f.bin?overwrite=true`)
      .set(bearer(admin))
      .send('v2')
      .expect(201);
    const audit = await t.db('package_file_events').where({ model_name: model, action: 'overwritten' });
    expect(audit).toHaveLength(1);
    expect(audit[0].token_id).not.toBeNull();
    await t.http.delete(`/api/packages/${model}/1.0.0/f.bin`).set(bearer(admin)).expect(200);
  });

  it('answers 401 before validating anything (bad path, bad semver, huge body)', async () => {
    for (const url of ['/api/packages/x/not-semver/..%2Fetc', '/api/packages/x', '/api/packages/x/1.0.0']) {
      expect((await t.http.put(url).send('x')).status).toBe(401);
    }
  });
});
