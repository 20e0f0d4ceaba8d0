import { uniqueName } from '../../helpers/mlflow';
import { createTestApp, TestApp } from '../../helpers/test-app';

/** MLflow's delete RPCs take a package version's files with it: no folder and no stored_files rows remain. */
describe('package files when MLflow deletes the version or the model', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  async function publish(name: string, semver: string): Promise<string> {
    await t.http
      .put(`/api/packages/${name}/${semver}/model/MLmodel`)
      .send(Buffer.from('flavors: {}'))
      .expect(201);
    const row = await t
      .db('model_versions as mv')
      .join('registered_models as rm', 'rm.id', 'mv.registered_model_id')
      .where({ 'rm.name': name, 'mv.semver': semver })
      .first('mv.source', 'mv.version');
    return String(row.source).replace('mlflow-artifacts:/', '');
  }

  const storedUnder = async (folder: string) =>
    (await t.db('stored_files').where('key', 'like', `${folder}/%`).pluck('key')) as string[];

  it('model-versions/delete removes the version’s package folder', async () => {
    const name = uniqueName('pkg');
    const kept = await publish(name, '1.0.0');
    const deleted = await publish(name, '2.0.0');
    expect(await storedUnder(deleted)).toHaveLength(1);
    await t.http.delete('/api/2.0/mlflow/model-versions/delete').send({ name, version: '2' }).expect(200);
    expect(await storedUnder(deleted)).toEqual([]);
    expect(await t.ctx.storage.stat(`${deleted}/model/MLmodel`)).toBeUndefined();
    expect(await storedUnder(kept)).toHaveLength(1);
    // the semver is free again and re-publishing it works
    await publish(name, '2.0.0');
  });

  it('registered-models/delete removes every package folder of the model', async () => {
    const name = uniqueName('pkg');
    const folders = [await publish(name, '1.0.0'), await publish(name, '1.1.0')];
    await t.http.delete('/api/2.0/mlflow/registered-models/delete').send({ name }).expect(200);
    for (const folder of folders) {
      expect(await storedUnder(folder)).toEqual([]);
      expect(await t.ctx.storage.stat(`${folder}/model/MLmodel`)).toBeUndefined();
    }
  });
});
