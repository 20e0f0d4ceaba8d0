import crypto from 'node:crypto';
import { uniqueName } from '../../helpers/mlflow';
import { createTestApp, TestApp } from '../../helpers/test-app';

const sha256 = (data: Buffer | string) => crypto.createHash('sha256').update(data).digest('hex');

function binary(res: any, cb: (err: Error | null, body: Buffer) => void) {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
}

describe('package downloads, listings, selectors and deletes', () => {
  let t: TestApp;
  let model: string;
  const content = Buffer.from('0123456789abcdefghij');

  beforeAll(async () => {
    t = await createTestApp();
    model = uniqueName('churn');
    for (const semver of ['1.2.0', '1.10.0', '1.4.0-rc.1', '1.4.0', '2.0.0-beta.1', '0.9.0']) {
      await t.http.put(`/api/packages/${model}/${semver}/model/weights.bin`).send(content).expect(201);
    }
    await t.http.put(`/api/packages/${model}/1.4.0/README.md`).send('# hi').expect(201);
  });
  afterAll(() => t.close());

  it('streams a file with Content-Length, ETag = sha256, Accept-Ranges and safe download headers', async () => {
    const res = await t.http
      .get(`/api/packages/${model}/1.4.0/model/weights.bin`)
      .buffer(true)
      .parse(binary)
      .expect(200);
    expect(res.body).toEqual(content);
    expect(res.headers['content-length']).toBe(String(content.length));
    expect(res.headers.etag).toBe(`"${sha256(content)}"`);
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="weights.bin"/);
  });

  it('answers a Range request with 206 and the slice', async () => {
    const res = await t.http
      .get(`/api/packages/${model}/1.4.0/model/weights.bin`)
      .set('Range', 'bytes=5-9')
      .buffer(true)
      .parse(binary)
      .expect(206);
    expect(res.body.toString()).toBe('56789');
    expect(res.headers['content-range']).toBe(`bytes 5-9/${content.length}`);
    expect(res.headers['content-length']).toBe('5');
    const suffix = await t.http
      .get(`/api/packages/${model}/1.4.0/model/weights.bin`)
      .set('Range', 'bytes=-3')
      .buffer(true)
      .parse(binary)
      .expect(206);
    expect(suffix.body.toString()).toBe('hij');
  });

  it('answers an unsatisfiable range with 416 and Content-Range: bytes */size', async () => {
    const res = await t.http
      .get(`/api/packages/${model}/1.4.0/model/weights.bin`)
      .set('Range', 'bytes=100-200');
    expect(res.status).toBe(416);
    expect(res.headers['content-range']).toBe(`bytes */${content.length}`);
  });

  it('answers If-None-Match with the ETag with 304', async () => {
    await t.http
      .get(`/api/packages/${model}/1.4.0/README.md`)
      .set('If-None-Match', `"${sha256('# hi')}"`)
      .expect(304);
  });

  it('HEAD gives the metadata without a body', async () => {
    const res = await t.http.head(`/api/packages/${model}/1.4.0/model/weights.bin`).expect(200);
    expect(res.headers['content-length']).toBe(String(content.length));
    expect(res.headers.etag).toBe(`"${sha256(content)}"`);
    expect(res.text ?? '').toBe('');
  });

  it('lists a version’s files', async () => {
    const res = await t.http.get(`/api/packages/${model}/1.4.0`).expect(200);
    expect(res.body).toEqual({
      model,
      version: '4',
      semver: '1.4.0',
      files: [
        { path: 'README.md', size: 4, sha256: sha256('# hi'), created_at: expect.any(Number) },
        {
          path: 'model/weights.bin',
          size: content.length,
          sha256: sha256(content),
          created_at: expect.any(Number),
        },
      ],
    });
  });

  it('lists a model’s versions in semver order (not upload or integer order)', async () => {
    const res = await t.http.get(`/api/packages/${model}`).expect(200);
    expect(res.body.model).toBe(model);
    expect(res.body.versions.map((v: { semver: string }) => v.semver)).toEqual([
      '0.9.0',
      '1.2.0',
      '1.4.0-rc.1',
      '1.4.0',
      '1.10.0',
      '2.0.0-beta.1',
    ]);
    expect(res.body.versions.find((v: { semver: string }) => v.semver === '1.4.0')).toEqual({
      version: '4',
      semver: '1.4.0',
      created_at: expect.any(Number),
      file_count: 2,
    });
  });

  it.each([
    ['latest', '1.10.0'],
    ['%5E1.4', '1.10.0'],
    ['~1.4', '1.4.0'],
    ['1.4.0-rc.1', '1.4.0-rc.1'],
    [encodeURIComponent('>=1.0.0 <1.3.0'), '1.2.0'],
    [encodeURIComponent('^2.0.0-beta.0'), '2.0.0-beta.1'],
  ])('resolves the selector %s to %s on GET', async (selector, semver) => {
    const listing = await t.http.get(`/api/packages/${model}/${selector}`).expect(200);
    expect(listing.body.semver).toBe(semver);
    await t.http.get(`/api/packages/${model}/${selector}/model/weights.bin`).expect(200);
  });

  it('answers 404 for a selector nothing satisfies, a missing file, a missing model', async () => {
    for (const url of [
      `/api/packages/${model}/%5E3`,
      `/api/packages/${model}/1.4.0/nope.bin`,
      `/api/packages/${uniqueName('none')}/1.0.0`,
    ]) {
      const res = await t.http.get(url);
      expect({ url, status: res.status, code: res.body.error_code }).toEqual({
        url,
        status: 404,
        code: 'RESOURCE_DOES_NOT_EXIST',
      });
    }
  });

  it('answers 400 for a selector that is neither a semver, latest nor a range', async () => {
    const res = await t.http.get(`/api/packages/${model}/not-a-version`);
    expect(res.status).toBe(400);
    expect(res.body.message).toContain("'latest'");
  });

  it('refuses ranges on writes', async () => {
    expect((await t.http.put(`/api/packages/${model}/latest/x`).send('x')).status).toBe(400);
    expect((await t.http.delete(`/api/packages/${model}/latest/README.md`)).status).toBe(400);
  });

  it('deletes one file with an audit record; the bytes are gone', async () => {
    const name = uniqueName('del');
    await t.http.put(`/api/packages/${name}/1.0.0/a.txt`).send('a').expect(201);
    await t.http.put(`/api/packages/${name}/1.0.0/b.txt`).send('b').expect(201);
    await t.http.delete(`/api/packages/${name}/1.0.0/a.txt`).expect(200, {});
    expect((await t.http.get(`/api/packages/${name}/1.0.0/a.txt`)).status).toBe(404);
    const listing = await t.http.get(`/api/packages/${name}/1.0.0`).expect(200);
    expect(listing.body.files.map((f: { path: string }) => f.path)).toEqual(['b.txt']);
    const audit = await t.db('package_file_events').where({ model_name: name, action: 'deleted' });
    expect(audit).toMatchObject([{ path: 'a.txt', sha256: sha256('a'), semver: '1.0.0' }]);
    const mv = await t.http
      .get('/api/2.0/mlflow/model-versions/get')
      .query({ name, version: '1' })
      .expect(200);
    const dir = mv.body.model_version.source.replace('mlflow-artifacts:/', '');
    expect(await t.ctx.storage.stat(`${dir}/a.txt`)).toBeUndefined();
    expect(await t.ctx.storage.stat(`${dir}/b.txt`)).toBeDefined();
    expect(await t.db('stored_files').where({ key: `${dir}/a.txt` })).toHaveLength(0);
    expect(await t.db('stored_files').where({ key: `${dir}/b.txt` })).toHaveLength(1);
    // A published file never comes back with other bytes (npm, crates.io); with the same bytes it may.
    const other = await t.http.put(`/api/packages/${name}/1.0.0/a.txt`).send('new a').expect(409);
    expect(other.body.error_code).toBe('RESOURCE_ALREADY_EXISTS');
    expect(other.body.message).toContain('never reused');
    await t.http.put(`/api/packages/${name}/1.0.0/a.txt`).send('a').expect(201);
  });

  it('deletes the whole version with ?all=true (and only with it)', async () => {
    const name = uniqueName('del');
    await t.http.put(`/api/packages/${name}/1.0.0/a.txt`).send('a').expect(201);
    const refused = await t.http.delete(`/api/packages/${name}/1.0.0`);
    expect(refused.status).toBe(400);
    expect(refused.body.message).toContain('all=true');
    const mv = await t.http
      .get('/api/2.0/mlflow/model-versions/get')
      .query({ name, version: '1' })
      .expect(200);
    await t.http.delete(`/api/packages/${name}/1.0.0?all=true`).expect(200, {});
    expect((await t.http.get(`/api/packages/${name}/1.0.0`)).status).toBe(404);
    expect(
      (await t.http.get('/api/2.0/mlflow/model-versions/get').query({ name, version: '1' })).status,
    ).toBe(404);
    const dir = mv.body.model_version.source.replace('mlflow-artifacts:/', '');
    expect(await t.ctx.storage.stat(dir)).toBeUndefined();
    const audit = await t.db('package_file_events').where({ model_name: name }).orderBy('id');
    expect(audit.map((row: { action: string }) => row.action)).toEqual(['deleted', 'version_deleted']);
    // The semver stays bound to its bytes: other ones are refused, the same ones make a new version
    // (numbers are never reused).
    await t.http.put(`/api/packages/${name}/1.0.0/a.txt`).send('a2').expect(409);
    const again = await t.http.put(`/api/packages/${name}/1.0.0/a.txt`).send('a').expect(201);
    expect(again.body.model_version.version).toBe('2');
  });

  it('the automatic next patch counts deleted (reserved) releases as well as the model’s own', async () => {
    const name = uniqueName('next');
    const create = async () => {
      const res = await t.http
        .post('/api/2.0/mlflow/model-versions/create')
        .send({ name, source: 's3://bucket/weights' })
        .expect(200);
      return res.body.model_version.tags.find((tag: { key: string }) => tag.key === 'semver').value;
    };
    await t.http.put(`/api/packages/${name}/1.1.0/a.txt`).send('a').expect(201);
    await t.http.put(`/api/packages/${name}/1.4.0/a.txt`).send('b').expect(201);
    await t.http.delete(`/api/packages/${name}/1.4.0?all=true`).expect(200);
    expect(await create()).toBe('1.4.1'); // the reserved 1.4.0 is above the model's own 1.1.0
    await t.http.put(`/api/packages/${name}/2.0.0/a.txt`).send('c').expect(201);
    expect(await create()).toBe('2.0.1'); // now the model's own 2.0.0 is the highest
  });

  it('serves package files through the MLflow artifact proxy at the version’s source', async () => {
    const mv = await t.http
      .get('/api/2.0/mlflow/model-versions/get-download-uri')
      .query({ name: model, version: '4' })
      .expect(200);
    const dir = mv.body.artifact_uri.replace('mlflow-artifacts:/', '');
    const listing = await t.http.get('/api/2.0/mlflow-artifacts/artifacts').query({ path: dir }).expect(200);
    expect(listing.body.files.map((f: { path: string }) => f.path).sort()).toEqual(['README.md', 'model']);
    const file = await t.http
      .get(`/api/2.0/mlflow-artifacts/artifacts/${dir}/model/weights.bin`)
      .buffer(true)
      .parse(binary)
      .expect(200);
    expect(file.body).toEqual(content);
    // …but never changed through it: package files are immutable there.
    expect((await t.http.put(`/api/2.0/mlflow-artifacts/artifacts/${dir}/README.md`).send('x')).status).toBe(
      403,
    );
  });
});

describe('a package version deleted through MLflow, then uploaded again', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('does not bring the old files back into the new version’s artifacts', async () => {
    const name = uniqueName('reuse');
    await t.http.put(`/api/packages/${name}/1.0.0/old.bin`).send('old').expect(201);
    await t.http.put(`/api/packages/${name}/1.0.0/model/old.txt`).send('old').expect(201);
    await t.http.delete('/api/2.0/mlflow/model-versions/delete').send({ name, version: '1' }).expect(200);
    const again = await t.http.put(`/api/packages/${name}/1.0.0/new.bin`).send('new').expect(201);
    expect(again.body.model_version.version).toBe('2');
    const uri = await t.http
      .get('/api/2.0/mlflow/model-versions/get-download-uri')
      .query({ name, version: '2' })
      .expect(200);
    const dir = uri.body.artifact_uri.replace('mlflow-artifacts:/', '');
    const listing = await t.http.get('/api/2.0/mlflow-artifacts/artifacts').query({ path: dir }).expect(200);
    // An emptied folder may stay (removing it could race with an upload creating a file in it).
    expect(
      listing.body.files.filter((f: { is_dir: boolean }) => !f.is_dir).map((f: { path: string }) => f.path),
    ).toEqual(['new.bin']);
    await t.http.get(`/api/2.0/mlflow-artifacts/artifacts/${dir}/old.bin`).expect(404);
    await t.http.get(`/api/2.0/mlflow-artifacts/artifacts/${dir}/model/old.txt`).expect(404);
    expect(await t.db('stored_files').where('key', 'like', `${dir}/%`).pluck('key')).toEqual([
      `${dir}/new.bin`,
    ]);
  });
});

describe('package history events', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('records package.file_added and package.file_deleted with the CI job, queryable through /api/events', async () => {
    const name = uniqueName('hist');
    await t.http.put(`/api/packages/${name}/1.0.0/a.bin`).set('X-CI-Job-Id', '555').send('a').expect(201);
    await t.http.put(`/api/packages/${name}/1.0.0/a.bin`).send('a').expect(200); // unchanged: no event
    await t.http.delete(`/api/packages/${name}/1.0.0/a.bin`).expect(200);
    const added = await t.http
      .get('/api/events')
      .query({ model: name, type: 'package.file_added' })
      .expect(200);
    expect(added.body.events).toMatchObject([
      {
        type: 'package.file_added',
        model: name,
        version: '1',
        semver: '1.0.0',
        ci_job_id: '555',
        after: { path: 'a.bin', size: 1, sha256: sha256('a') },
      },
    ]);
    const deleted = await t.http
      .get('/api/events')
      .query({ model: name, type: 'package.file_deleted' })
      .expect(200);
    expect(deleted.body.events).toMatchObject([{ type: 'package.file_deleted', before: { path: 'a.bin' } }]);
  });
});
