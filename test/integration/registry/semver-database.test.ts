import semver from 'semver';
import { createTestApp, TestApp } from '../../helpers/test-app';
import { createModel, createVersion } from '../../helpers/mlflow';

/**
 * The database itself enforces semver.org 2.0.0: these tests bypass the API and write SQL directly.
 */
describe('semver columns enforced by PostgreSQL', () => {
  let t: TestApp;
  let modelId: number;
  beforeAll(async () => {
    t = await createTestApp();
    const name = await createModel(t);
    modelId = (await t.db('registered_models').where({ name }).first('id')).id;
  });
  afterAll(() => t.close());

  let nextVersion = 100;
  const insert = (parts: Record<string, unknown>) =>
    t.db('model_versions').insert({
      registered_model_id: modelId,
      version: nextVersion++,
      major: 1,
      minor: 0,
      patch: 0,
      source: 'mlflow-artifacts:/0/x',
      creation_timestamp: 1,
      last_updated_timestamp: 1,
      ...parts,
    });

  it.each([
    [{ major: -1 }, 'model_versions_major_check'],
    [{ prerelease: '01' }, 'model_versions_prerelease_check'],
    [{ prerelease: 'a..b' }, 'model_versions_prerelease_check'],
    [{ prerelease: 'a_b' }, 'model_versions_prerelease_check'],
    [{ build: 'a..b' }, 'model_versions_build_check'],
    [{ build: 'é' }, 'model_versions_build_check'],
  ])('rejects %j by direct SQL (%s)', async (parts, constraint) => {
    await expect(insert(parts)).rejects.toMatchObject({ code: '23514', constraint });
  });

  it('rejects a second version with the same major.minor.patch-prerelease, whatever the build', async () => {
    await insert({ major: 7, prerelease: 'rc.1', build: 'a' });
    await expect(insert({ major: 7, prerelease: 'rc.1', build: 'b' })).rejects.toMatchObject({
      code: '23505',
      constraint: 'model_versions_semver_key',
    });
  });

  it('rejects a duplicate release even though prerelease is "none"', async () => {
    await insert({ major: 8 });
    await expect(insert({ major: 8 })).rejects.toMatchObject({ code: '23505' });
  });
});

describe('semver precedence in SQL agrees with the semver npm package', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  // semver.org §11's own example chain plus the usual traps: numeric vs lexical, numeric < alphanumeric,
  // shorter < longer, hyphens sort before digits in ASCII, build metadata ignored, big numbers.
  const cases = [
    '1.0.0-alpha',
    '1.0.0-alpha.1',
    '1.0.0-alpha.beta',
    '1.0.0-beta',
    '1.0.0-beta.2',
    '1.0.0-beta.11',
    '1.0.0-rc.1',
    '1.0.0',
    '1.0.0-0',
    '1.0.0-9',
    '1.0.0-10',
    '1.0.0-a-b',
    '1.0.0--',
    '1.0.0-A',
    '1.0.0-a',
    '1.0.0-1a',
    '1.0.0-alpha.-1',
    '1.0.0-alpha.0',
    '2.0.0+build.5',
    '2.0.1',
    '2.1.0',
    '10.0.0',
    '9.10.0',
    '9.9.10',
    '9007199254740991.0.0',
    '0.0.0',
    '1.0.0-rc.1.2',
    '1.0.0-rc.1.10',
  ];

  it('orders every case exactly as semver.compare does (order_by semver ASC and DESC)', async () => {
    const name = await createModel(t);
    for (const version of [...cases].reverse()) await createVersion(t, name, { semver: version });
    const expected = [...cases].sort(semver.compare);
    for (const [direction, order] of [
      ['ASC', expected],
      ['DESC', [...expected].reverse()],
    ] as const) {
      const res = await t.http
        .get('/api/2.0/mlflow/model-versions/search')
        .query({ filter: `name='${name}'`, order_by: `semver ${direction}` })
        .expect(200);
      const got = res.body.model_versions.map(
        (v: any) => v.tags.find((tag: any) => tag.key === 'semver').value,
      );
      expect(got).toEqual(order);
    }
  });
});
