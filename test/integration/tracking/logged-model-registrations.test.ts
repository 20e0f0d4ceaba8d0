import { createTestApp, TestApp } from '../../helpers/test-app';
import { createModel, tagValue } from '../../helpers/mlflow';
import { API, createExperiment } from './helpers';

/**
 * model-versions/create with a `model_id` lists the new version in the logged model's `mlflow.modelVersions`
 * tag, as the reference server 3.17 does (the client appends its own entry afterwards when it registers
 * through `log_model`): mlflow-compat.md §3.5.
 */
describe('POST /api/2.0/mlflow/model-versions/create with model_id', () => {
  let t: TestApp;
  let exp: string;
  beforeAll(async () => {
    t = await createTestApp();
    exp = await createExperiment(t);
  });
  afterAll(() => t.close());

  const loggedModel = async () =>
    (await t.http.post(`${API}/logged-models`).send({ experiment_id: exp }).expect(200)).body.model;
  const tagOf = async (id: string) =>
    tagValue(
      (await t.http.get(`${API}/logged-models/${id}`).expect(200)).body.model.info.tags,
      'mlflow.modelVersions',
    );
  const register = (name: string, source: string, modelId?: string) =>
    t.http
      .post(`${API}/model-versions/create`)
      .send({ name, source, ...(modelId ? { model_id: modelId } : {}) })
      .expect(200);

  it('appends {"name", "version"} in json.dumps form, version as a number, one entry per version', async () => {
    const model = await loggedModel();
    const name = await createModel(t);
    await register(name, model.info.artifact_uri, model.info.model_id);
    expect(await tagOf(model.info.model_id)).toBe(`[{"name": "${name}", "version": 1}]`);
    await register(name, model.info.artifact_uri, model.info.model_id);
    expect(await tagOf(model.info.model_id)).toBe(
      `[{"name": "${name}", "version": 1}, {"name": "${name}", "version": 2}]`,
    );
  });

  it("records the MLflow 3 client's form too: source models:/<model_id> with that model_id", async () => {
    const model = await loggedModel();
    const name = await createModel(t);
    await register(name, `models:/${model.info.model_id}`, model.info.model_id);
    expect(await tagOf(model.info.model_id)).toBe(`[{"name": "${name}", "version": 1}]`);
  });

  it("keeps the entries already there, the client's string versions included", async () => {
    const model = await loggedModel();
    const id = model.info.model_id;
    await t.http
      .patch(`${API}/logged-models/${id}/tags`)
      .send({ tags: [{ key: 'mlflow.modelVersions', value: '[{"name": "old", "version": "3"}]' }] })
      .expect(200);
    const name = await createModel(t);
    await register(name, model.info.artifact_uri, id);
    expect(await tagOf(id)).toBe(`[{"name": "old", "version": "3"}, {"name": "${name}", "version": 1}]`);
  });

  it('leaves a tag that is not a JSON list alone, and still registers', async () => {
    const model = await loggedModel();
    const id = model.info.model_id;
    await t.http
      .patch(`${API}/logged-models/${id}/tags`)
      .send({ tags: [{ key: 'mlflow.modelVersions', value: 'set by hand' }] })
      .expect(200);
    await register(await createModel(t), model.info.artifact_uri, id);
    expect(await tagOf(id)).toBe('set by hand');
  });

  it('lists every one of concurrent registrations', async () => {
    const model = await loggedModel();
    const name = await createModel(t);
    await Promise.all(
      Array.from({ length: 5 }, () => register(name, model.info.artifact_uri, model.info.model_id)),
    );
    const listed = JSON.parse((await tagOf(model.info.model_id)) ?? '[]') as Array<{ version: number }>;
    expect(listed.map((entry) => entry.version).sort()).toEqual([1, 2, 3, 4, 5]);
  });
});
