import { createTestApp, TestApp } from '../../helpers/test-app';
import { createModel, createVersion } from '../../helpers/mlflow';

const API = '/api/2.0/mlflow';

/** `models:/m/<selector>` reaches the server as get-latest-versions with the selector as a stage. */
describe('POST registered-models/get-latest-versions as the semver resolver', () => {
  let t: TestApp;
  let name: string;
  beforeAll(async () => {
    t = await createTestApp();
    name = await createModel(t);
    for (const semver of ['1.0.0', '1.2.0', '1.2.5', '1.3.0-rc.1', '1.10.0', '2.0.0', '2.1.0-beta.1']) {
      await createVersion(t, name, { semver });
    }
    await t.http
      .post(`${API}/model-versions/transition-stage`)
      .send({ name, version: '2', stage: 'Production', archive_existing_versions: false })
      .expect(200);
  });
  afterAll(() => t.close());

  const resolve = (stages?: string[]) =>
    t.http.post(`${API}/registered-models/get-latest-versions`).send(stages ? { name, stages } : { name });
  const semverOf = (res: { body: any }) =>
    res.body.model_versions.map((v: any) => v.tags.find((tag: any) => tag.key === 'semver').value);

  it.each([
    ['1.2.0', '1.2.0'],
    ['1.3.0-rc.1', '1.3.0-rc.1'],
    ['^1.2', '1.10.0'],
    ['~1.2.3', '1.2.5'],
    ['1.x', '1.10.0'],
    ['>=1.0.0 <2.0.0', '1.10.0'],
    ['^1.3.0-rc.0', '1.10.0'],
    ['>=2.1.0-beta.0', '2.1.0-beta.1'],
    ['*', '2.0.0'],
  ])('resolves %s to exactly one version, %s', async (selector, expected) => {
    const res = await resolve([selector]).expect(200);
    expect(semverOf(res)).toEqual([expected]);
  });

  it('keeps MLflow stage semantics, case-insensitively', async () => {
    expect(
      (await resolve(['production']).expect(200)).body.model_versions.map((v: any) => v.version),
    ).toEqual(['2']);
    expect((await resolve(['Staging']).expect(200)).body.model_versions).toEqual([]);
    const all = await resolve().expect(200);
    expect(all.body.model_versions.map((v: any) => `${v.current_stage}:${v.version}`).sort()).toEqual([
      'None:7',
      'Production:2',
    ]);
  });

  it('answers 404 naming the selector when no version matches', async () => {
    const res = await resolve(['^3']).expect(404);
    expect(res.body).toEqual({
      error_code: 'RESOURCE_DOES_NOT_EXIST',
      message: `No version of registered model '${name}' matches '^3'.`,
    });
  });

  it('answers 400 for a selector that is neither a stage, a semver nor a range', async () => {
    const res = await resolve(['Prod!']).expect(400);
    expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('is also served by GET (the client retries with GET after ENDPOINT_NOT_FOUND)', async () => {
    const res = await t.http
      .get(`${API}/registered-models/get-latest-versions`)
      .query({ name, stages: '^1.2' })
      .expect(200);
    expect(semverOf(res)).toEqual(['1.10.0']);
  });
});

describe('aliases', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('sets, moves, reads and deletes an alias; latest is the highest number', async () => {
    const name = await createModel(t);
    await createVersion(t, name);
    await createVersion(t, name);
    await t.http
      .post(`${API}/registered-models/alias`)
      .send({ name, alias: 'champion', version: '1' })
      .expect(200);
    await t.http
      .post(`${API}/registered-models/alias`)
      .send({ name, alias: 'champion', version: '2' })
      .expect(200);
    const res = await t.http
      .get(`${API}/registered-models/alias`)
      .query({ name, alias: 'champion' })
      .expect(200);
    expect(res.body.model_version).toMatchObject({ version: '2', aliases: ['champion'] });
    const latest = await t.http
      .get(`${API}/registered-models/alias`)
      .query({ name, alias: 'LATEST' })
      .expect(200);
    expect(latest.body.model_version.version).toBe('2');
    await t.http.delete(`${API}/registered-models/alias`).send({ name, alias: 'champion' }).expect(200);
    await t.http.delete(`${API}/registered-models/alias`).send({ name, alias: 'champion' }).expect(200);
    const gone = await t.http
      .get(`${API}/registered-models/alias`)
      .query({ name, alias: 'champion' })
      .expect(400);
    expect(gone.body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  it.each([['latest'], ['v1'], ['has.dot'], ['1.2.0']])('refuses the alias %s', async (alias) => {
    const name = await createModel(t);
    await createVersion(t, name);
    const res = await t.http
      .post(`${API}/registered-models/alias`)
      .send({ name, alias, version: '1' })
      .expect(400);
    expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('reads a stage as an alias (its highest version) when no alias row has the name; None is no stage', async () => {
    const name = await createModel(t);
    for (let i = 0; i < 3; i++) await createVersion(t, name);
    for (const version of ['1', '2'])
      await t.http
        .post(`${API}/model-versions/transition-stage`)
        .send({ name, version, stage: 'Production', archive_existing_versions: false })
        .expect(200);
    const byAlias = (alias: string) => t.http.get(`${API}/registered-models/alias`).query({ name, alias });
    expect((await byAlias('production').expect(200)).body.model_version).toMatchObject({
      version: '2',
      current_stage: 'Production',
    });
    expect((await byAlias('None').expect(400)).body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect((await byAlias('Staging').expect(400)).body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('refuses an alias to a missing version', async () => {
    const name = await createModel(t);
    await t.http.post(`${API}/registered-models/alias`).send({ name, alias: 'x', version: '3' }).expect(404);
  });
});

describe('concurrent version creation', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('allocates 1..N without duplicates or gaps and N distinct semvers under 20 parallel clients', async () => {
    const name = await createModel(t);
    const clients = 20;
    const perClient = 10;
    const results = await Promise.all(
      Array.from({ length: clients }, async () => {
        const versions: string[] = [];
        for (let i = 0; i < perClient; i++) versions.push((await createVersion(t, name)).version);
        return versions;
      }),
    );
    const numbers = results
      .flat()
      .map(Number)
      .sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: clients * perClient }, (_, i) => i + 1));
    const semvers = await t
      .db('model_versions')
      .join('registered_models', 'registered_models.id', 'model_versions.registered_model_id')
      .where('registered_models.name', name)
      .distinct('semver');
    expect(semvers).toHaveLength(clients * perClient);
  });
});
