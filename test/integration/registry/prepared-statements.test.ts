import { createTestApp, TestApp } from '../../helpers/test-app';
import { createModel, createVersion, uniqueName } from '../../helpers/mlflow';

/**
 * The registry's hot reads run as named prepared statements (src/db/prepared.ts), which every pooled
 * connection keeps. A rolling upgrade adds columns while older replicas still hold those statements: the
 * reads must keep answering, the same, after the tables changed under them.
 */
describe('prepared registry reads across a schema change', () => {
  let t: TestApp;
  let name: string;
  beforeAll(async () => {
    t = await createTestApp();
    name = await createModel(t);
    await createVersion(t, name);
    await createVersion(t, name);
    await t.http
      .post('/api/2.0/mlflow/registered-models/alias')
      .send({ name, alias: 'champion', version: '2' })
      .expect(200);
    await t.http
      .post('/api/2.0/mlflow/model-versions/transition-stage')
      .send({ name, version: '1', stage: 'Production' })
      .expect(200);
  });
  afterAll(() => t.close());

  const reads = () => [
    `/api/2.0/mlflow/registered-models/get?name=${name}`,
    `/api/2.0/mlflow/model-versions/get?name=${name}&version=2`,
    `/api/2.0/mlflow/registered-models/get-latest-versions?name=${name}`,
    `/api/2.0/mlflow/registered-models/alias?name=${name}&alias=champion`,
    `/api/2.0/mlflow/registered-models/search?filter=${encodeURIComponent(`name = '${name}'`)}`,
  ];

  /** Each read many times at once, so that most of the pool's connections prepare every statement. */
  async function readAll(): Promise<unknown[]> {
    const answers = await Promise.all(
      Array.from({ length: 12 }, () =>
        Promise.all(
          reads().map((url) => t.http.get(url).then((res) => ({ status: res.status, body: res.body }))),
        ),
      ),
    );
    for (const round of answers) expect(round).toEqual(answers[0]);
    for (const answer of answers[0]) expect(answer).toMatchObject({ status: 200 });
    return answers[0];
  }

  it('answers the same after columns were added to the tables those statements read', async () => {
    const before = await readAll();
    expect(before[1]).toMatchObject({ body: { model_version: { version: '2', aliases: ['champion'] } } });
    expect(before[2]).toMatchObject({ body: { model_versions: [{ version: '2' }, { version: '1' }] } });

    await t.db.raw('ALTER TABLE registered_models ADD COLUMN added_by_a_later_release text');
    await t.db.raw('ALTER TABLE model_versions ADD COLUMN added_by_a_later_release text');
    await t.db.raw('ALTER TABLE registered_model_aliases ADD COLUMN added_by_a_later_release text');
    expect(await readAll()).toEqual(before);
  });
});

/**
 * Creates run prepared as well: the model's row is locked while a version is created, and planning those
 * statements at every call kept it locked longer. The same rolling-upgrade rule holds for them.
 */
describe('prepared registry writes across a schema change', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  /** A model with two tags and three versions, created alongside others so most connections prepare all. */
  async function createAll(): Promise<Array<Record<string, unknown>>> {
    return Promise.all(
      Array.from({ length: 12 }, async () => {
        const name = uniqueName('prepared');
        const model = await t.http
          .post('/api/2.0/mlflow/registered-models/create')
          .send({ name, tags: [{ key: 'b', value: '2' }, { key: 'a' }] })
          .expect(200);
        const versions = [];
        for (let i = 0; i < 3; i++) {
          const res = await t.http
            .post('/api/2.0/mlflow/model-versions/create')
            .send({ name, source: `mlflow-artifacts:/prepared/${i}` })
            .expect(200);
          versions.push(res.body.model_version);
        }
        const history = await t.http.get(`/api/events?model=${name}`).expect(200);
        return { name, model: model.body.registered_model, versions, history: history.body.events };
      }),
    );
  }

  /** What must not change: everything but names, times and ids. */
  function shape(created: Record<string, unknown>): unknown {
    return JSON.parse(
      JSON.stringify(created, (key, value) =>
        ['name', 'model', 'time', 'id', 'registered_model_id'].includes(key) || key.endsWith('timestamp')
          ? typeof value === 'object' && value !== null
            ? value
            : '…'
          : value,
      ),
    );
  }

  it('creates the same after columns were added to the tables those statements write', async () => {
    const before = await createAll();
    expect(before[0].model).toMatchObject({
      tags: [{ key: 'a' }, { key: 'b', value: '2' }],
    });
    expect((before[0].versions as Array<{ tags: unknown }>).map((v) => v.tags)).toEqual(
      ['1.0.0', '1.0.1', '1.0.2'].map((semver) => [{ key: 'semver', value: semver }]),
    );
    expect(before[0].history).toHaveLength(4);

    for (const table of ['registered_models', 'registered_model_tags', 'model_versions', 'events'])
      await t.db.raw(`ALTER TABLE ${table} ADD COLUMN added_by_a_later_release text`);
    const after = await createAll();
    expect(after.map(shape)).toEqual(before.map(shape));
  });
});
