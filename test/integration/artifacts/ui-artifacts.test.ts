import { MLFLOW_PREFIXES, uniqueName } from '../../helpers/mlflow';
import { createTestApp, TestApp } from '../../helpers/test-app';
import { Canaries, expectMlflowError } from '../../security/support';

/**
 * The web UI's artifact routes (mlflow-compat.md §3.4, §3.5, §3.10): run and logged-model listings with paths
 * relative to their artifact root, and the two download routes at the server root. Files are uploaded through
 * the artifact proxy exactly as the client does it.
 */
let t: TestApp;
let canaries: Canaries;
let runId: string;
let runRoot: string;
let modelId: string;
let modelRoot: string;
let modelName: string;

const KEY_OF = (uri: string): string => uri.replace(/^mlflow-artifacts:\//, '');

async function upload(key: string, body: string): Promise<void> {
  await t.http
    .put(`/api/2.0/mlflow-artifacts/artifacts/${key}`)
    .set('Content-Type', 'text/plain')
    .send(body)
    .expect(200);
}

beforeAll(async () => {
  t = await createTestApp();
  canaries = new Canaries(t.config.artifactRoot);
  const run = await t.http
    .post('/api/2.0/mlflow/runs/create')
    .send({ experiment_id: '0', start_time: Date.now() })
    .expect(200);
  runId = run.body.run.info.run_id;
  runRoot = run.body.run.info.artifact_uri;
  await upload(`${KEY_OF(runRoot)}/model/MLmodel`, 'flavors: {}');
  await upload(`${KEY_OF(runRoot)}/model/data/w.bin`, 'weights');
  await upload(`${KEY_OF(runRoot)}/report.html`, '<script>alert(1)</script>');

  const model = await t.http
    .post('/api/2.0/mlflow/logged-models')
    .send({ experiment_id: '0', name: 'm' })
    .expect(200);
  modelId = model.body.model.info.model_id;
  modelRoot = model.body.model.info.artifact_uri;
  await upload(`${KEY_OF(modelRoot)}/MLmodel`, 'logged: true');
  await upload(`${KEY_OF(modelRoot)}/sub/conda.yaml`, 'name: x');

  modelName = uniqueName('ui');
  await t.http.post('/api/2.0/mlflow/registered-models/create').send({ name: modelName }).expect(200);
  await t.http
    .post('/api/2.0/mlflow/model-versions/create')
    .send({ name: modelName, source: `${runRoot}/model`, run_id: runId })
    .expect(200);
});

afterAll(async () => {
  canaries.assertUntouched();
  canaries.cleanup();
  await t.close();
});

describe.each(MLFLOW_PREFIXES)('GET %s/artifacts/list', (prefix) => {
  it('lists the run root and a sub-directory with paths relative to the run root', async () => {
    const root = await t.http
      .get(`${prefix}/artifacts/list`)
      .query({ run_id: runId, run_uuid: runId })
      .expect(200);
    expect(root.body).toEqual({
      root_uri: runRoot,
      files: [
        { path: 'model', is_dir: true },
        { path: 'report.html', is_dir: false, file_size: 25 },
      ],
    });
    const model = await t.http
      .get(`${prefix}/artifacts/list`)
      .query({ run_uuid: runId, path: 'model' })
      .expect(200);
    expect(model.body.files).toEqual([
      { path: 'model/MLmodel', is_dir: false, file_size: 11 },
      { path: 'model/data', is_dir: true },
    ]);
  });

  it('answers an empty listing for a missing directory and 404 for a missing run', async () => {
    expect(
      (await t.http.get(`${prefix}/artifacts/list`).query({ run_id: runId, path: 'nope' }).expect(200)).body,
    ).toEqual({
      root_uri: runRoot,
    });
    expectMlflowError(
      await t.http.get(`${prefix}/artifacts/list`).query({ run_id: 'f'.repeat(32) }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
  });

  it.each([
    '..',
    '../..',
    '%2e%2e/%2e%2e',
    'model/../../..',
    '/etc',
    'C:/',
    '..\\..',
    'a%00',
    '%C0%AE%C0%AE',
  ])('refuses path %j with 400', async (path) => {
    expectMlflowError(
      await t.http.get(`${prefix}/artifacts/list`).query({ run_id: runId, path }),
      400,
      'INVALID_PARAMETER_VALUE',
    );
  });
});

describe.each(MLFLOW_PREFIXES)('GET %s/logged-models/{id}/artifacts/directories', (prefix) => {
  it('lists the logged model root and a sub-directory', async () => {
    const root = await t.http.get(`${prefix}/logged-models/${modelId}/artifacts/directories`).expect(200);
    expect(root.body).toEqual({
      root_uri: modelRoot,
      files: [
        { path: 'MLmodel', is_dir: false, file_size: 12 },
        { path: 'sub', is_dir: true },
      ],
    });
    const sub = await t.http
      .get(`${prefix}/logged-models/${modelId}/artifacts/directories`)
      .query({ artifact_directory_path: 'sub' })
      .expect(200);
    expect(sub.body.files).toEqual([{ path: 'sub/conda.yaml', is_dir: false, file_size: 7 }]);
  });

  it('refuses traversal with 400 and answers 404 for an unknown model', async () => {
    const traversal = await t.http
      .get(`${prefix}/logged-models/${modelId}/artifacts/directories`)
      .query({ artifact_directory_path: '../../..' });
    expectMlflowError(traversal, 400, 'INVALID_PARAMETER_VALUE');
    const missing = await t.http.get(`${prefix}/logged-models/m-${'0'.repeat(32)}/artifacts/directories`);
    expectMlflowError(missing, 404, 'RESOURCE_DOES_NOT_EXIST');
  });
});

describe('GET /get-artifact (web UI)', () => {
  it('downloads a run artifact as a non-sniffable attachment', async () => {
    const res = await t.http.get('/get-artifact').query({ run_uuid: runId, path: 'report.html' }).expect(200);
    expect(res.text).toBe('<script>alert(1)</script>');
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="report.html"/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it.each([
    '../../../../etc/passwd',
    '%2e%2e%2f%2e%2e%2f',
    '%252e%252e%252f',
    '/etc/passwd',
    'model/../../x',
    'C:\\x',
    'a\u0000',
    '',
  ])('refuses path %j with 400', async (path) => {
    expectMlflowError(
      await t.http.get('/get-artifact').query({ run_uuid: runId, path }),
      400,
      'INVALID_PARAMETER_VALUE',
    );
  });

  it('refuses symlinks out of the root and reports a missing run or file as 404', async () => {
    expectMlflowError(
      await t.http.get('/get-artifact').query({ run_uuid: runId, path: 'x' }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
    expectMlflowError(
      await t.http.get('/get-artifact').query({ run_uuid: 'f'.repeat(32), path: 'x' }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
  });
});

describe('GET /model-versions/get-artifact (web UI)', () => {
  it("downloads a file under the version's download URI", async () => {
    const res = await t.http
      .get('/model-versions/get-artifact')
      .query({ name: modelName, version: '1', path: 'MLmodel' })
      .expect(200);
    expect(res.text).toBe('flavors: {}');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it.each([
    '../report.html',
    '..%2freport.html',
    '../../../../../../etc/passwd',
    '/etc/passwd',
    'data/../../report.html',
  ])('refuses path %j with 400 (no escape from the version root)', async (path) => {
    const res = await t.http
      .get('/model-versions/get-artifact')
      .query({ name: modelName, version: '1', path });
    expectMlflowError(res, 400, 'INVALID_PARAMETER_VALUE');
  });

  it('answers 404 for an unknown version', async () => {
    const res = await t.http
      .get('/model-versions/get-artifact')
      .query({ name: modelName, version: '9', path: 'MLmodel' });
    expectMlflowError(res, 404, 'RESOURCE_DOES_NOT_EXIST');
  });
});
