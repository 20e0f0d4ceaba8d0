import { createTestApp, TestApp } from '../../helpers/test-app';
import { createModel, createVersion } from '../../helpers/mlflow';

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
