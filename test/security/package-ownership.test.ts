import crypto from 'node:crypto';
import type { Response } from 'supertest';
import { bootstrapAdminToken } from '../../src/auth/bootstrap-admin';
import { authenticateSecret } from '../../src/auth/tokens';
import { MLFLOW_PREFIXES, uniqueName } from '../helpers/mlflow';
import { createTestApp, TestApp } from '../helpers/test-app';
import { bearer, mintToken } from '../helpers/tokens';
import { expectMlflowError } from './support';

/**
 * Issue 17 items 1 and 6, with AUTH=on, an admin token (ADMIN_TOKEN) and a write token restricted to
 * `churn-*` (docs/packages.md "Deleting" and "Immutability"):
 * - a version's `source` names package storage only as a version folder of its own model, in any spelling;
 * - what a delete removes is decided by the database (`package_folder`), never by a `source`;
 * - package-backed versions need admin to delete, on every route, and every route audits the same way;
 * - a published semver never comes back with other bytes.
 */
const ADMIN = 'admin-secret-for-package-ownership-0123456789';

let t: TestApp;
let adminId: string;
let churn: string;

const sha256 = (bytes: string): string => crypto.createHash('sha256').update(bytes).digest('hex');

async function modelId(app: TestApp, name: string): Promise<number> {
  const row = await app.db('registered_models').where({ name }).first('id');
  if (!row) throw new Error(`no registered model '${name}'`);
  return Number(row.id);
}

function publish(token: string, name: string, semver: string, file: string, bytes: string) {
  return t.http
    .put(`/api/packages/${name}/${semver}/${file}`)
    .set(bearer(token))
    .set('Content-Type', 'application/octet-stream')
    .send(Buffer.from(bytes));
}

async function published(token: string, name: string, semver: string, file: string, bytes: string) {
  const res = await publish(token, name, semver, file, bytes);
  expect({ status: res.status, body: res.body }).toMatchObject({ status: 201 });
  return res;
}

/** The bytes of a package file as the admin downloads them (status and body). */
async function download(
  name: string,
  semver: string,
  file: string,
): Promise<{ status: number; body: string }> {
  const res: Response = await t.http
    .get(`/api/packages/${name}/${semver}/${file}`)
    .set(bearer(ADMIN))
    .buffer(true)
    .parse((stream, done) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => done(null, Buffer.concat(chunks)));
    });
  return { status: res.status, body: Buffer.isBuffer(res.body) ? res.body.toString('utf8') : res.text };
}

/** Served, recorded in stored_files and present on disk, with exactly these bytes. */
async function expectIntact(name: string, semver: string, file: string, bytes: string): Promise<void> {
  expect(await download(name, semver, file)).toEqual({ status: 200, body: bytes });
  const key = `packages/${await modelId(t, name)}/${semver}/${file}`;
  expect(await t.db('stored_files').where({ key }).select('key', 'sha256')).toEqual([
    { key, sha256: sha256(bytes) },
  ]);
  expect(await t.ctx.storage.stat(key)).toMatchObject({ isDir: false, size: Buffer.byteLength(bytes) });
}

/** No row and no byte left under a storage folder. */
async function expectGone(app: TestApp, folder: string): Promise<void> {
  expect(await app.db('stored_files').where('key', 'like', `${folder}/%`)).toEqual([]);
  expect(await app.ctx.storage.stat(folder)).toBeUndefined();
}

const auditOf = async (app: TestApp, name: string) =>
  (await app.db('package_file_events').where({ model_name: name }).orderBy('id')).map((row) => ({
    action: row.action,
    version: row.version,
    semver: row.semver,
    path: row.path,
    sha256: row.sha256,
    token_id: row.token_id === null ? null : String(row.token_id),
  }));

beforeAll(async () => {
  t = await createTestApp({ AUTH: 'on', ADMIN_TOKEN: ADMIN });
  await bootstrapAdminToken(t.ctx); // what main.ts does at start with ADMIN_TOKEN
  const principal = await authenticateSecret(t.db, ADMIN);
  if (!principal) throw new Error('ADMIN_TOKEN was not stored');
  adminId = principal.tokenId;
  churn = await mintToken(t, 'write', { models: ['churn-*'] });
});
afterAll(() => t.close());

describe('POST model-versions/create: a source names package storage only as a version folder of its own model', () => {
  let victim: string;
  let victimId: number;
  let own: string;
  let ownId: number;

  beforeAll(async () => {
    victim = uniqueName('fraud');
    await published(ADMIN, victim, '1.0.0', 'model.bin', 'victim bytes');
    victimId = await modelId(t, victim);
    own = uniqueName('churn-del');
    await t.http
      .post('/api/2.0/mlflow/registered-models/create')
      .set(bearer(churn))
      .send({ name: own })
      .expect(200);
    ownId = await modelId(t, own);
  });

  const hostile: Array<[string, () => string]> = [
    ['another model’s version folder', () => `mlflow-artifacts:/packages/${victimId}/1.0.0`],
    [
      'a file in another model’s version folder',
      () => `mlflow-artifacts:/packages/${victimId}/1.0.0/model.bin`,
    ],
    ['another model’s whole package folder', () => `mlflow-artifacts:/packages/${victimId}`],
    ['the package root', () => 'mlflow-artifacts:/packages'],
    ['the package root with a trailing slash', () => 'mlflow-artifacts:/packages/'],
    ['a percent-encoded package root', () => `mlflow-artifacts:/%70ackages/${victimId}/1.0.0`],
    ['a double-encoded package root', () => `mlflow-artifacts:/%2570ackages/${victimId}/1.0.0`],
    ['an encoded slash inside the path', () => `mlflow-artifacts:/packages%2F${victimId}/1.0.0`],
    ['a dot segment before the package root', () => `mlflow-artifacts:/./packages/${victimId}/1.0.0`],
    ['a doubled slash inside the path', () => `mlflow-artifacts:/packages//${victimId}/1.0.0`],
    ['an empty host part', () => `mlflow-artifacts:///packages/${victimId}/1.0.0`],
    ['no slash after the scheme', () => `mlflow-artifacts:packages/${victimId}/1.0.0`],
    [
      'a parent segment out of its own folder',
      () => `mlflow-artifacts:/packages/${ownId}/../${victimId}/1.0.0`,
    ],
    ['a model id with a leading zero', () => `mlflow-artifacts:/packages/0${victimId}/1.0.0`],
    ['its own model’s whole package folder', () => `mlflow-artifacts:/packages/${ownId}`],
  ];

  describe.each(MLFLOW_PREFIXES)('under %s', (prefix) => {
    it.each(hostile)(
      'answers 400 INVALID_PARAMETER_VALUE for %s, creating nothing',
      async (_what, source) => {
        const before = await t.db('registered_models').where({ id: ownId }).first('next_version');
        const res = await t.http
          .post(`${prefix}/model-versions/create`)
          .set(bearer(churn))
          .send({ name: own, source: source() });
        expectMlflowError(res, 400, 'INVALID_PARAMETER_VALUE');
        expect(await t.db('model_versions').where({ registered_model_id: ownId, source: source() })).toEqual(
          [],
        );
        expect(await t.db('registered_models').where({ id: ownId }).first('next_version')).toEqual(before);
      },
    );

    it('accepts a version folder of its own model (200), which does not make the version a package', async () => {
      const source = `mlflow-artifacts:/packages/${ownId}/9.9.9`;
      const res = await t.http
        .post(`${prefix}/model-versions/create`)
        .set(bearer(churn))
        .send({ name: own, source });
      expect({ status: res.status, source: res.body.model_version?.source }).toEqual({ status: 200, source });
      const row = await t
        .db('model_versions')
        .where({ registered_model_id: ownId, version: Number(res.body.model_version.version) })
        .first('source', 'storage_location', 'package_folder');
      expect(row).toEqual({ source, storage_location: source, package_folder: null });
    });
  });

  it('answers 403 PERMISSION_DENIED to models:/<other>/<n> when the token may not read <other>, 200 for an admin', async () => {
    const source = `models:/${victim}/1`;
    const refused = await t.http
      .post('/api/2.0/mlflow/model-versions/create')
      .set(bearer(churn))
      .send({ name: own, source });
    expectMlflowError(refused, 403, 'PERMISSION_DENIED');
    expect(await t.db('model_versions').where({ registered_model_id: ownId, source })).toEqual([]);

    const allowed = await t.http
      .post('/api/2.0/mlflow/model-versions/create')
      .set(bearer(ADMIN))
      .send({ name: own, source });
    expect({ status: allowed.status, source: allowed.body.model_version?.source }).toEqual({
      status: 200,
      source,
    });
    const row = await t
      .db('model_versions')
      .where({ registered_model_id: ownId, version: Number(allowed.body.model_version.version) })
      .first('storage_location', 'package_folder');
    expect(row).toEqual({
      storage_location: `mlflow-artifacts:/packages/${victimId}/1.0.0`,
      package_folder: null,
    });

    // The write token may delete that version of its own model: the victim's files are not its to delete.
    await t.http
      .delete('/api/2.0/mlflow/model-versions/delete')
      .set(bearer(churn))
      .send({ name: own, version: allowed.body.model_version.version })
      .expect(200);
    await expectIntact(victim, '1.0.0', 'model.bin', 'victim bytes');
  });
});

describe('DELETE model-versions/delete and registered-models/delete: the database decides what goes, never a source', () => {
  it.each(MLFLOW_PREFIXES)(
    'leaves another model’s package alone when a version from before the fix names its folder (%s)',
    async (prefix) => {
      const victim = uniqueName('fraud');
      await published(ADMIN, victim, '1.0.0', 'model.bin', 'victim bytes');
      const victimId = await modelId(t, victim);
      const name = uniqueName('churn-del');
      await t.http.post(`${prefix}/registered-models/create`).set(bearer(churn)).send({ name }).expect(200);
      const id = await modelId(t, name);

      // A row that slipped in before sources were checked: written straight into the table.
      const location = `mlflow-artifacts:/packages/${victimId}/1.0.0`;
      const now = Date.now();
      await t.db('model_versions').insert(
        [1, 2].map((version) => ({
          registered_model_id: id,
          version,
          major: 1,
          minor: 0,
          patch: version - 1,
          source: location,
          storage_location: location,
          creation_timestamp: now,
          last_updated_timestamp: now,
        })),
      );
      await t.db('registered_models').where({ id }).update({ next_version: 3 });

      const versionDelete = await t.http
        .delete(`${prefix}/model-versions/delete`)
        .set(bearer(churn))
        .send({ name, version: '1' });
      expect({ status: versionDelete.status, body: versionDelete.body }).toEqual({ status: 200, body: {} });
      expect(await t.db('model_versions').where({ registered_model_id: id }).pluck('version')).toEqual([2]);
      await expectIntact(victim, '1.0.0', 'model.bin', 'victim bytes');

      const modelDelete = await t.http
        .delete(`${prefix}/registered-models/delete`)
        .set(bearer(churn))
        .send({ name });
      expect({ status: modelDelete.status, body: modelDelete.body }).toEqual({ status: 200, body: {} });
      expect(await t.db('registered_models').where({ name })).toEqual([]);
      await expectIntact(victim, '1.0.0', 'model.bin', 'victim bytes');

      // The victim's version is still a package version, and nothing audited a deletion of its files.
      expect(
        await t.db('model_versions').where({ registered_model_id: victimId }).pluck('package_folder'),
      ).toEqual([`packages/${victimId}/1.0.0`]);
      expect(await auditOf(t, victim)).toEqual([]);
      expect(await t.db('deleted_package_files').where({ model_name: victim })).toEqual([]);
    },
  );

  it('deletes nothing when a version created through MLflow shares its own model’s package folder', async () => {
    const name = uniqueName('churn-share');
    await published(churn, name, '1.0.0', 'model.bin', 'shared bytes');
    const id = await modelId(t, name);
    const created = await t.http
      .post('/api/2.0/mlflow/model-versions/create')
      .set(bearer(churn))
      .send({ name, source: `mlflow-artifacts:/packages/${id}/1.0.0` })
      .expect(200);
    expect(created.body.model_version.version).toBe('2');
    await t.http
      .delete('/api/2.0/mlflow/model-versions/delete')
      .set(bearer(churn))
      .send({ name, version: '2' })
      .expect(200);
    await expectIntact(name, '1.0.0', 'model.bin', 'shared bytes');
    expect(await auditOf(t, name)).toEqual([]);
  });
});

describe('package-backed versions: deleting needs admin on every route', () => {
  let name: string;
  beforeAll(async () => {
    name = uniqueName('churn-pkg');
    await published(churn, name, '1.0.0', 'model.bin', 'published bytes');
  });

  const refusedRoutes: Array<[string, () => ReturnType<typeof t.http.delete>]> = [
    ...MLFLOW_PREFIXES.flatMap((prefix): Array<[string, () => ReturnType<typeof t.http.delete>]> => [
      [
        `DELETE ${prefix}/model-versions/delete`,
        () => t.http.delete(`${prefix}/model-versions/delete`).send({ name, version: '1' }),
      ],
      [
        `DELETE ${prefix}/registered-models/delete`,
        () => t.http.delete(`${prefix}/registered-models/delete`).send({ name }),
      ],
    ]),
    [
      'DELETE /api/packages/<model>/<semver>?all=true',
      () => t.http.delete(`/api/packages/${name}/1.0.0?all=true`),
    ],
    [
      'DELETE /api/packages/<model>/<semver>/<path>',
      () => t.http.delete(`/api/packages/${name}/1.0.0/model.bin`),
    ],
  ];

  it.each(refusedRoutes)(
    'answers 403 PERMISSION_DENIED to a write token on %s, deleting and auditing nothing',
    async (_route, request) => {
      expectMlflowError(await request().set(bearer(churn)), 403, 'PERMISSION_DENIED');
      await expectIntact(name, '1.0.0', 'model.bin', 'published bytes');
      expect(
        await t.db('model_versions').where({ registered_model_id: await modelId(t, name) }),
      ).toHaveLength(1);
      expect(await auditOf(t, name)).toEqual([]);
      expect(await t.db('events').where({ model: name, type: 'package.file_deleted' })).toEqual([]);
    },
  );
});

describe('package-backed versions: an admin deletes them on every route with the same audit', () => {
  const versionRoutes: Array<[string, (name: string) => ReturnType<typeof t.http.delete>]> = [
    ...MLFLOW_PREFIXES.map((prefix): [string, (name: string) => ReturnType<typeof t.http.delete>] => [
      `DELETE ${prefix}/model-versions/delete`,
      (name) => t.http.delete(`${prefix}/model-versions/delete`).send({ name, version: '1' }),
    ]),
    [
      'DELETE /api/packages/<model>/<semver>?all=true',
      (name) => t.http.delete(`/api/packages/${name}/1.0.0?all=true`),
    ],
  ];

  it.each(versionRoutes)(
    '%s: 200, a deleted row per file then version_deleted, package.file_deleted events by the admin, files gone',
    async (_route, request) => {
      const name = uniqueName('churn-pkg');
      await published(churn, name, '1.0.0', 'model.bin', 'weights');
      await published(churn, name, '1.0.0', 'conf/params.json', '{"depth":3}');
      const folder = `packages/${await modelId(t, name)}/1.0.0`;

      const res = await request(name).set(bearer(ADMIN));
      expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: {} });

      const file = (path: string, bytes: string) => ({
        action: 'deleted',
        version: 1,
        semver: '1.0.0',
        path,
        sha256: sha256(bytes),
        token_id: adminId,
      });
      expect(await auditOf(t, name)).toEqual([
        file('conf/params.json', '{"depth":3}'),
        file('model.bin', 'weights'),
        {
          action: 'version_deleted',
          version: 1,
          semver: '1.0.0',
          path: null,
          sha256: null,
          token_id: adminId,
        },
      ]);

      const events = await t.http
        .get('/api/events')
        .set(bearer(ADMIN))
        .query({ model: name, type: 'package.file_deleted' })
        .expect(200);
      const summary = events.body.events
        .map(
          (e: {
            actor: string;
            version: string;
            semver: string;
            before: { path: string; sha256: string };
          }) => ({
            actor: e.actor,
            version: e.version,
            semver: e.semver,
            path: e.before.path,
            sha256: e.before.sha256,
          }),
        )
        .sort((a: { path: string }, b: { path: string }) => a.path.localeCompare(b.path));
      expect(summary).toEqual([
        {
          actor: adminId,
          version: '1',
          semver: '1.0.0',
          path: 'conf/params.json',
          sha256: sha256('{"depth":3}'),
        },
        { actor: adminId, version: '1', semver: '1.0.0', path: 'model.bin', sha256: sha256('weights') },
      ]);

      await expectGone(t, folder);
      expect(await t.db('model_versions').where({ registered_model_id: await modelId(t, name) })).toEqual([]);
      expect((await download(name, '1.0.0', 'model.bin')).status).toBe(404);
    },
  );

  it.each(MLFLOW_PREFIXES)(
    'DELETE %s/registered-models/delete by an admin audits every file of both package versions and removes packages/<id>',
    async (prefix) => {
      const name = uniqueName('churn-pkg');
      await published(churn, name, '1.0.0', 'model.bin', 'one');
      await published(churn, name, '2.0.0', 'model.bin', 'two');
      const id = await modelId(t, name);

      await t.http.delete(`${prefix}/registered-models/delete`).set(bearer(ADMIN)).send({ name }).expect(200);

      expect(await auditOf(t, name)).toEqual([
        {
          action: 'deleted',
          version: 1,
          semver: '1.0.0',
          path: 'model.bin',
          sha256: sha256('one'),
          token_id: adminId,
        },
        {
          action: 'version_deleted',
          version: 1,
          semver: '1.0.0',
          path: null,
          sha256: null,
          token_id: adminId,
        },
        {
          action: 'deleted',
          version: 2,
          semver: '2.0.0',
          path: 'model.bin',
          sha256: sha256('two'),
          token_id: adminId,
        },
        {
          action: 'version_deleted',
          version: 2,
          semver: '2.0.0',
          path: null,
          sha256: null,
          token_id: adminId,
        },
      ]);
      const events = await t
        .db('events')
        .where({ model: name, type: 'package.file_deleted' })
        .orderBy('id')
        .select('actor', 'semver');
      expect(events).toEqual([
        { actor: adminId, semver: '1.0.0' },
        { actor: adminId, semver: '2.0.0' },
      ]);
      expect(await t.db('registered_models').where({ name })).toEqual([]);
      await expectGone(t, `packages/${id}`);
    },
  );
});

describe('a published semver is never reused for other bytes', () => {
  /** Publishes `churn-pub-…` 1.0.0 and has the admin delete it through the given route. */
  const deletions: Array<[string, (name: string) => Promise<unknown>]> = [
    [
      'DELETE /api/packages/<model>/1.0.0?all=true',
      (name) => t.http.delete(`/api/packages/${name}/1.0.0?all=true`).set(bearer(ADMIN)).expect(200),
    ],
    [
      'DELETE /api/packages/<model>/1.0.0/model.bin',
      (name) => t.http.delete(`/api/packages/${name}/1.0.0/model.bin`).set(bearer(ADMIN)).expect(200),
    ],
    ...MLFLOW_PREFIXES.map((prefix): [string, (name: string) => Promise<unknown>] => [
      `DELETE ${prefix}/model-versions/delete`,
      (name) =>
        t.http
          .delete(`${prefix}/model-versions/delete`)
          .set(bearer(ADMIN))
          .send({ name, version: '1' })
          .expect(200),
    ]),
  ];

  it.each(deletions)(
    'after %s: other bytes → 409 RESOURCE_ALREADY_EXISTS, the same bytes → 201',
    async (_route, deleteIt) => {
      const name = uniqueName('churn-pub');
      await published(churn, name, '1.0.0', 'model.bin', 'first bytes');
      await deleteIt(name);

      const other = await publish(churn, name, '1.0.0', 'model.bin', 'other bytes');
      expectMlflowError(other, 409, 'RESOURCE_ALREADY_EXISTS');
      expect(other.body.message).toContain('never reused');
      expect((await download(name, '1.0.0', 'model.bin')).status).toBe(404);

      const same = await publish(churn, name, '1.0.0', 'model.bin', 'first bytes');
      expect({ status: same.status, semver: same.body.model_version?.semver }).toEqual({
        status: 201,
        semver: '1.0.0',
      });
      await expectIntact(name, '1.0.0', 'model.bin', 'first bytes');
    },
  );

  it('gives a re-published version a new integer version number', async () => {
    const name = uniqueName('churn-pub');
    await published(churn, name, '1.0.0', 'model.bin', 'first bytes');
    await t.http.delete(`/api/packages/${name}/1.0.0?all=true`).set(bearer(ADMIN)).expect(200);
    const same = await published(churn, name, '1.0.0', 'model.bin', 'first bytes');
    expect(same.body.model_version).toMatchObject({ name, version: '2', semver: '1.0.0' });
  });

  describe.each(MLFLOW_PREFIXES)('renames under %s', (prefix) => {
    const rename = (name: string, newName: string) =>
      t.http.post(`${prefix}/registered-models/rename`).set(bearer(churn)).send({ name, new_name: newName });

    /** churn-a published 1.0.0 and an admin deleted it. */
    async function reserved(): Promise<string> {
      const name = uniqueName('churn-a');
      await published(churn, name, '1.0.0', 'model.bin', 'first bytes');
      await t.http.delete(`/api/packages/${name}/1.0.0?all=true`).set(bearer(ADMIN)).expect(200);
      return name;
    }

    it('refuses to rename another model with a 1.0.0 into the reserved name', async () => {
      const name = await reserved();
      const other = uniqueName('churn-b');
      await published(churn, other, '1.0.0', 'model.bin', 'other bytes');
      await t.http.delete(`${prefix}/registered-models/delete`).set(bearer(churn)).send({ name }).expect(200);
      const res = await rename(other, name);
      expectMlflowError(res, 400, 'RESOURCE_ALREADY_EXISTS');
      expect(res.body.message).toContain('1.0.0');
      expect((await download(name, '1.0.0', 'model.bin')).status).toBe(404);
    });

    it('refuses the way back after publishing other bytes under another name', async () => {
      const name = await reserved();
      const away = uniqueName('churn-c');
      await rename(name, away).expect(200);
      await published(churn, away, '1.0.0', 'model.bin', 'other bytes');
      expectMlflowError(await rename(away, name), 400, 'RESOURCE_ALREADY_EXISTS');
      expect((await download(name, '1.0.0', 'model.bin')).status).toBe(404);
      // A model without that semver may take the name.
      const fresh = uniqueName('churn-d');
      await published(churn, fresh, '2.0.0', 'model.bin', 'two');
      await t.http
        .delete(`${prefix}/registered-models/delete`)
        .set(bearer(ADMIN))
        .send({ name: away })
        .expect(200);
      await rename(fresh, name).expect(200);
    });
  });

  it.each(MLFLOW_PREFIXES)(
    'keeps the reservation when the registered model is deleted through %s and created again with its name',
    async (prefix) => {
      const name = uniqueName('churn-pub');
      await published(churn, name, '1.0.0', 'model.bin', 'first bytes');
      const oldId = await modelId(t, name);
      await t.http.delete(`${prefix}/registered-models/delete`).set(bearer(ADMIN)).send({ name }).expect(200);
      await t.http.post(`${prefix}/registered-models/create`).set(bearer(churn)).send({ name }).expect(200);
      expect(await modelId(t, name)).not.toBe(oldId);

      expectMlflowError(
        await publish(churn, name, '1.0.0', 'model.bin', 'other bytes'),
        409,
        'RESOURCE_ALREADY_EXISTS',
      );
      const taken = await t.http
        .post(`${prefix}/model-versions/create`)
        .set(bearer(churn))
        .send({
          name,
          source: 'mlflow-artifacts:/0/anything/artifacts',
          tags: [{ key: 'semver', value: '1.0.0' }],
        });
      expectMlflowError(taken, 400, 'RESOURCE_ALREADY_EXISTS');
      const same = await published(churn, name, '1.0.0', 'model.bin', 'first bytes');
      expect(same.body.model_version).toMatchObject({ version: '1', semver: '1.0.0' });
    },
  );

  describe.each(MLFLOW_PREFIXES)('%s/model-versions/create on a model whose 1.0.0 was deleted', (prefix) => {
    let name: string;
    const source = 'mlflow-artifacts:/0/anything/artifacts';
    beforeEach(async () => {
      name = uniqueName('churn-pub');
      await published(churn, name, '1.0.0', 'model.bin', 'first bytes');
      await t.http.delete(`/api/packages/${name}/1.0.0?all=true`).set(bearer(ADMIN)).expect(200);
    });

    it.each([
      ['semver', '1.0.0'],
      ['semver', '1.0.0+build.7'],
      ['gitlab.version', '1.0.0'],
    ])('answers 400 RESOURCE_ALREADY_EXISTS to tag %s=%s, creating nothing', async (key, value) => {
      const res = await t.http
        .post(`${prefix}/model-versions/create`)
        .set(bearer(churn))
        .send({ name, source, tags: [{ key, value }] });
      expectMlflowError(res, 400, 'RESOURCE_ALREADY_EXISTS');
      expect(await t.db('model_versions').where({ registered_model_id: await modelId(t, name) })).toEqual([]);
    });

    it('gives a version without a semver tag the next patch after the reserved one (1.0.1)', async () => {
      const res = await t.http
        .post(`${prefix}/model-versions/create`)
        .set(bearer(churn))
        .send({ name, source });
      expect(res.status).toBe(200);
      expect(res.body.model_version.tags).toEqual(
        expect.arrayContaining([{ key: 'semver', value: '1.0.1' }]),
      );
    });
  });

  it('lets an admin replace the reserved bytes with ?overwrite=true (201), and not a write token (403)', async () => {
    const name = uniqueName('churn-pub');
    await published(churn, name, '1.0.0', 'model.bin', 'first bytes');
    await t.http.delete(`/api/packages/${name}/1.0.0?all=true`).set(bearer(ADMIN)).expect(200);

    const refused = await t.http
      .put(`/api/packages/${name}/1.0.0/model.bin?overwrite=true`)
      .set(bearer(churn))
      .send(Buffer.from('replacement'));
    expectMlflowError(refused, 403, 'PERMISSION_DENIED');

    const res = await t.http
      .put(`/api/packages/${name}/1.0.0/model.bin?overwrite=true`)
      .set(bearer(ADMIN))
      .set('Content-Type', 'application/octet-stream')
      .send(Buffer.from('replacement'));
    expect(res.status).toBe(201);
    await expectIntact(name, '1.0.0', 'model.bin', 'replacement');
  });
});

describe('with AUTH=off', () => {
  let open: TestApp;
  beforeAll(async () => {
    open = await createTestApp();
  });
  afterAll(() => open.close());

  it.each(MLFLOW_PREFIXES)(
    'deletes a package version through %s/model-versions/delete (200) with the same audit',
    async (prefix) => {
      const name = uniqueName('pkg');
      await open.http
        .put(`/api/packages/${name}/1.0.0/model.bin`)
        .set('Content-Type', 'application/octet-stream')
        .send(Buffer.from('open bytes'))
        .expect(201);
      const folder = `packages/${await modelId(open, name)}/1.0.0`;

      const res = await open.http.delete(`${prefix}/model-versions/delete`).send({ name, version: '1' });
      expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: {} });

      expect(await auditOf(open, name)).toEqual([
        {
          action: 'deleted',
          version: 1,
          semver: '1.0.0',
          path: 'model.bin',
          sha256: sha256('open bytes'),
          token_id: null,
        },
        { action: 'version_deleted', version: 1, semver: '1.0.0', path: null, sha256: null, token_id: null },
      ]);
      expect(
        await open
          .db('events')
          .where({ model: name, type: 'package.file_deleted' })
          .select('actor', 'semver'),
      ).toEqual([{ actor: null, semver: '1.0.0' }]);
      expect(
        await open.db('deleted_package_files').where({ model_name: name }).select('path', 'sha256'),
      ).toEqual([{ path: 'model.bin', sha256: sha256('open bytes') }]);
      await expectGone(open, folder);
    },
  );
});
