import crypto from 'node:crypto';
import { MLFLOW_PREFIXES, uniqueName } from '../helpers/mlflow';
import { createTestApp, TestApp } from '../helpers/test-app';
import { bearer, mintToken } from '../helpers/tokens';
import { expectMlflowError } from './support';

/**
 * Issue 17 items 1 and 6, with AUTH=on and a write token restricted to `churn-*`: a version's `source` can
 * neither name another model's package files nor get them deleted, deleting a package-backed version needs
 * admin on every route and is audited the same way, and a published semver never comes back with other
 * bytes.
 */
let t: TestApp;
let admin: string;
let churn: string;

const sha256 = (text: string) => crypto.createHash('sha256').update(text).digest('hex');
const modelId = async (name: string): Promise<number> =>
  Number((await t.db('registered_models').where({ name }).first('id')).id);

async function publish(token: string, name: string, semver: string, file: string, bytes: string) {
  return t.http
    .put(`/api/packages/${name}/${semver}/${file}`)
    .set(bearer(token))
    .set('Content-Type', 'application/octet-stream')
    .send(Buffer.from(bytes));
}

async function download(name: string, semver: string, file: string) {
  return t.http.get(`/api/packages/${name}/${semver}/${file}`).set(bearer(admin)).buffer(true);
}

async function expectStillServed(name: string, bytes: string): Promise<void> {
  const res = await download(name, '1.0.0', 'model.bin');
  expect({ status: res.status, body: String(res.body) }).toEqual({ status: 200, body: bytes });
  const key = `packages/${await modelId(name)}/1.0.0/model.bin`;
  expect(await t.ctx.storage.stat(key)).toMatchObject({ size: bytes.length });
  expect(await t.db('stored_files').where({ key })).toHaveLength(1);
}

beforeAll(async () => {
  t = await createTestApp({ AUTH: 'on' });
  admin = await mintToken(t, 'admin');
  churn = await mintToken(t, 'write', { models: ['churn-*'] });
});
afterAll(() => t.close());

describe('model-versions/create refuses sources naming package storage it does not own', () => {
  let victim: string;
  let victimId: number;
  let own: string;
  let ownId: number;

  beforeAll(async () => {
    victim = uniqueName('fraud');
    expect((await publish(admin, victim, '1.0.0', 'model.bin', 'victim bytes')).status).toBe(201);
    victimId = await modelId(victim);
    own = uniqueName('churn-src');
    await t.http
      .post('/api/2.0/mlflow/registered-models/create')
      .set(bearer(churn))
      .send({ name: own })
      .expect(200);
    ownId = await modelId(own);
  });

  const hostile = () => [
    `mlflow-artifacts:/packages/${victimId}/1.0.0`,
    `mlflow-artifacts:/packages/${victimId}/1.0.0/model.bin`,
    `mlflow-artifacts:/packages/${victimId}`,
    'mlflow-artifacts:/packages',
    'mlflow-artifacts:/packages/',
    `mlflow-artifacts:/%70ackages/${victimId}/1.0.0`,
    `mlflow-artifacts:/%2570ackages/${victimId}/1.0.0`,
    `mlflow-artifacts:/./packages/${victimId}/1.0.0`,
    `mlflow-artifacts:/packages//${victimId}/1.0.0`,
    `mlflow-artifacts:///packages/${victimId}/1.0.0`,
    `mlflow-artifacts:/packages/0${victimId}/1.0.0`,
    'mlflow-artifacts:/packages/not-an-id/1.0.0',
    `mlflow-artifacts:/packages/${ownId}`,
  ];

  it.each(MLFLOW_PREFIXES)('answers 400 for each spelling under %s, and creates nothing', async (prefix) => {
    for (const source of hostile()) {
      const res = await t.http
        .post(`${prefix}/model-versions/create`)
        .set(bearer(churn))
        .send({ name: own, source });
      expectMlflowError(res, 400, 'INVALID_PARAMETER_VALUE');
    }
    expect(await t.db('model_versions').where({ registered_model_id: ownId })).toHaveLength(0);
  });

  it('accepts a version folder of the model itself', async () => {
    const res = await t.http
      .post('/api/2.0/mlflow/model-versions/create')
      .set(bearer(churn))
      .send({ name: own, source: `mlflow-artifacts:/packages/${ownId}/9.9.9` });
    expect(res.status).toBe(200);
    // …without making it a package: only an upload does.
    const row = await t.db('model_versions').where({ registered_model_id: ownId }).first();
    expect(row.package_folder).toBeNull();
  });

  it('needs read access to the model a models:/<name>/<n> source reads through', async () => {
    const source = `models:/${victim}/1`;
    const refused = await t.http
      .post('/api/2.0/mlflow/model-versions/create')
      .set(bearer(churn))
      .send({ name: own, source });
    expectMlflowError(refused, 403, 'PERMISSION_DENIED');
    await t.http
      .post('/api/2.0/mlflow/model-versions/create')
      .set(bearer(admin))
      .send({ name: own, source })
      .expect(200);
  });
});

describe('deleting a version whose source names another model’s folder (a row from before the fix)', () => {
  it.each(MLFLOW_PREFIXES)('leaves the other model’s files alone under %s', async (prefix) => {
    const victim = uniqueName('fraud');
    await publish(admin, victim, '1.0.0', 'model.bin', 'victim bytes').then((r) =>
      expect(r.status).toBe(201),
    );
    const name = uniqueName('churn-del');
    await t.http.post(`${prefix}/registered-models/create`).set(bearer(churn)).send({ name }).expect(200);
    const id = await modelId(name);
    const location = `mlflow-artifacts:/packages/${await modelId(victim)}/1.0.0`;
    for (const version of [1, 2]) {
      await t.db('model_versions').insert({
        registered_model_id: id,
        version,
        major: 1,
        minor: version,
        patch: 0,
        source: location,
        storage_location: location,
        creation_timestamp: Date.now(),
        last_updated_timestamp: Date.now(),
      });
    }
    await t.db('registered_models').where({ id }).update({ next_version: 3 });

    await t.http
      .delete(`${prefix}/model-versions/delete`)
      .set(bearer(churn))
      .send({ name, version: '1' })
      .expect(200);
    await expectStillServed(victim, 'victim bytes');
    await t.http.delete(`${prefix}/registered-models/delete`).set(bearer(churn)).send({ name }).expect(200);
    await expectStillServed(victim, 'victim bytes');
    expect(await t.db('package_file_events').where({ model_name: victim })).toHaveLength(0);
  });
});

describe('deleting a package-backed version needs admin on every route', () => {
  it('refuses a write token on MLflow’s RPCs (both prefixes) and the package routes, changing nothing', async () => {
    const name = uniqueName('churn-pkg');
    expect((await publish(churn, name, '1.0.0', 'model.bin', 'published')).status).toBe(201);
    const attempts = [
      ...MLFLOW_PREFIXES.flatMap((prefix) => [
        t.http.delete(`${prefix}/model-versions/delete`).set(bearer(churn)).send({ name, version: '1' }),
        t.http.delete(`${prefix}/registered-models/delete`).set(bearer(churn)).send({ name }),
      ]),
      t.http.delete(`/api/packages/${name}/1.0.0?all=true`).set(bearer(churn)),
      t.http.delete(`/api/packages/${name}/1.0.0/model.bin`).set(bearer(churn)),
    ];
    for (const attempt of attempts) expectMlflowError(await attempt, 403, 'PERMISSION_DENIED');
    await expectStillServed(name, 'published');
    expect(await t.db('package_file_events').where({ model_name: name })).toHaveLength(0);
  });

  it.each(MLFLOW_PREFIXES)(
    'lets an admin delete it through %s/model-versions/delete, with the package audit and history',
    async (prefix) => {
      const name = uniqueName('churn-pkg');
      await publish(churn, name, '1.0.0', 'model.bin', 'published');
      await publish(churn, name, '1.0.0', 'conf/params.json', '{}');
      const folder = `packages/${await modelId(name)}/1.0.0`;
      await t.http
        .delete(`${prefix}/model-versions/delete`)
        .set(bearer(admin))
        .send({ name, version: '1' })
        .expect(200);

      const audit = await t.db('package_file_events').where({ model_name: name }).orderBy('id');
      expect(audit.map((row) => [row.action, row.path])).toEqual([
        ['deleted', 'conf/params.json'],
        ['deleted', 'model.bin'],
        ['version_deleted', null],
      ]);
      const adminId = String(audit[0].token_id);
      const events = await t.http
        .get('/api/events')
        .set(bearer(admin))
        .query({ model: name, type: 'package.file_deleted' })
        .expect(200);
      expect(events.body.events.map((e: { before: { path: string } }) => e.before.path).sort()).toEqual([
        'conf/params.json',
        'model.bin',
      ]);
      expect(new Set(events.body.events.map((e: { actor: string }) => e.actor))).toEqual(new Set([adminId]));
      expect(await t.db('stored_files').where('key', 'like', `${folder}/%`)).toHaveLength(0);
      expect(await t.ctx.storage.stat(folder)).toBeUndefined();
    },
  );

  it('lets an admin delete a model with two package versions, auditing every file', async () => {
    const name = uniqueName('churn-pkg');
    await publish(churn, name, '1.0.0', 'model.bin', 'one');
    await publish(churn, name, '2.0.0', 'model.bin', 'two');
    const id = await modelId(name);
    await t.http
      .delete('/api/2.0/mlflow/registered-models/delete')
      .set(bearer(admin))
      .send({ name })
      .expect(200);
    const audit = await t.db('package_file_events').where({ model_name: name }).orderBy('id');
    expect(audit.map((row) => [row.action, row.semver, row.sha256])).toEqual([
      ['deleted', '1.0.0', sha256('one')],
      ['version_deleted', '1.0.0', null],
      ['deleted', '2.0.0', sha256('two')],
      ['version_deleted', '2.0.0', null],
    ]);
    expect(await t.db('stored_files').where('key', 'like', `packages/${id}/%`)).toHaveLength(0);
    expect(await t.ctx.storage.stat(`packages/${id}`)).toBeUndefined();
  });
});

describe('a published semver is never reused for other bytes', () => {
  async function deletedPackage(): Promise<string> {
    const name = uniqueName('churn-pub');
    await publish(churn, name, '1.0.0', 'model.bin', 'first bytes');
    await t.http.delete(`/api/packages/${name}/1.0.0?all=true`).set(bearer(admin)).expect(200);
    return name;
  }

  it('refuses other bytes with 409 and takes the same bytes back as a new version', async () => {
    const name = await deletedPackage();
    const other = await publish(churn, name, '1.0.0', 'model.bin', 'other bytes');
    expectMlflowError(other, 409, 'RESOURCE_ALREADY_EXISTS');
    expect(other.body.message).toContain('never reused');
    const same = await publish(churn, name, '1.0.0', 'model.bin', 'first bytes');
    expect(same.status).toBe(201);
    expect(same.body.model_version).toMatchObject({ version: '2', semver: '1.0.0' });
  });

  it('keeps the reservation when the whole model is deleted and its name created again', async () => {
    const name = await deletedPackage();
    await t.http
      .delete('/api/2.0/mlflow/registered-models/delete')
      .set(bearer(admin))
      .send({ name })
      .expect(200);
    expectMlflowError(
      await publish(churn, name, '1.0.0', 'model.bin', 'other'),
      409,
      'RESOURCE_ALREADY_EXISTS',
    );
    expect((await publish(churn, name, '1.0.0', 'model.bin', 'first bytes')).status).toBe(201);
  });

  it('refuses the semver to MLflow’s create and skips past it for the automatic next patch', async () => {
    const name = await deletedPackage();
    const source = 'mlflow-artifacts:/0/anything/artifacts';
    const taken = await t.http
      .post('/api/2.0/mlflow/model-versions/create')
      .set(bearer(churn))
      .send({ name, source, tags: [{ key: 'semver', value: '1.0.0+build.7' }] });
    expectMlflowError(taken, 400, 'RESOURCE_ALREADY_EXISTS');
    const auto = await t.http
      .post('/api/2.0/mlflow/model-versions/create')
      .set(bearer(churn))
      .send({ name, source })
      .expect(200);
    expect(auto.body.model_version.tags).toEqual(expect.arrayContaining([{ key: 'semver', value: '1.0.1' }]));
  });

  it('lets an admin overwrite the reserved bytes explicitly', async () => {
    const name = await deletedPackage();
    const res = await t.http
      .put(`/api/packages/${name}/1.0.0/model.bin?overwrite=true`)
      .set(bearer(admin))
      .send(Buffer.from('replacement'));
    expect(res.status).toBe(201);
  });
});

describe('with AUTH=off', () => {
  it('deletes a package version through model-versions/delete with the same audit', async () => {
    const open = await createTestApp();
    try {
      const name = uniqueName('pkg');
      await open.http.put(`/api/packages/${name}/1.0.0/model.bin`).send(Buffer.from('x')).expect(201);
      await open.http
        .delete('/api/2.0/mlflow/model-versions/delete')
        .send({ name, version: '1' })
        .expect(200);
      const audit = await open.db('package_file_events').where({ model_name: name }).orderBy('id');
      expect(audit.map((row) => row.action)).toEqual(['deleted', 'version_deleted']);
      expect(await open.db('deleted_package_files').where({ model_name: name })).toMatchObject([
        { path: 'model.bin', sha256: sha256('x') },
      ]);
    } finally {
      await open.close();
    }
  });
});
