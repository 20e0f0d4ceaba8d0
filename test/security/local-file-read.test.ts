import { createTestApp, TestApp } from '../helpers/test-app';
import { MLFLOW_PREFIXES, uniqueName } from '../helpers/mlflow';
import { Canaries, expectMlflowError } from './support';
import type { Response } from 'supertest';

/**
 * Issue 6 items 2 and 3: model-version `source` and experiment `artifact_location` values that would make
 * the server (or the client, told where to read) touch files outside semreg's own artifact root
 * (mlflow-compat.md §7; MLflow CVE-2023-6015/6018/6909/6974/6977, CVE-2024-1483/1558/1560/1594/2928/3573).
 */
let t: TestApp;
let canaries: Canaries;
const seen: Response[] = [];

beforeAll(async () => {
  t = await createTestApp();
  canaries = new Canaries(t.config.artifactRoot);
});
afterAll(async () => {
  canaries.assertUntouched(seen);
  canaries.cleanup();
  await t.close();
});

function hostileSources(): string[] {
  const outside = canaries.outsideDir;
  const up = canaries.relativeFromRoot();
  return [
    'file:///etc/',
    'file:///etc/passwd',
    `file://${outside}/passwd`,
    'FILE:///etc/passwd',
    'file://./etc',
    'file://localhost/etc/passwd',
    'file://host/../../etc',
    'file:/etc/passwd',
    '/etc',
    '/etc/passwd',
    outside,
    '//proc/self/root',
    '//proc/self/environ',
    '../../../etc',
    '../../../../../../etc/passwd',
    `${up}/passwd`,
    './../etc',
    '..\\..\\etc',
    'C:/Windows/win.ini',
    'C:\\Windows\\win.ini',
    '\\\\?\\C:\\Windows',
    '\\\\server\\share',
    'mlflow-artifacts://h/../../..',
    'mlflow-artifacts://evil.example.com/0/models/x',
    'mlflow-artifacts:/../../etc/passwd',
    `mlflow-artifacts:/${up}/passwd`,
    'mlflow-artifacts:/0/%2e%2e/%2e%2e/%2e%2e/etc',
    'mlflow-artifacts:/0/..%2f..%2f..%2fetc',
    'mlflow-artifacts:/0/%252e%252e%252f%252e%252e%252fetc',
    'mlflow-artifacts:/0/%2%0952e%2%0952e/etc',
    'mlflow-artifacts:/0/models/..%2f..%2f',
    'mlflow-artifacts:/0/artifact%00.txt',
    'mlflow-artifacts:/0/artifact\u0000.txt',
    'mlflow-artifacts:/0/%c0%ae%c0%ae/%c0%ae%c0%ae/etc',
    'mlflow-artifacts:/0/a?x=/../../etc',
    'mlflow-artifacts:/0/a#/../../etc',
    'mlflow-artifacts:/',
    'runs:/0123456789abcdef0123456789abcdef/../../../etc',
    'runs:/../../etc/passwd',
    'runs:/0123456789abcdef0123456789abcdef/%2e%2e%2f%2e%2e%2f',
    'dbfs:/0123456789abcdef/artifacts/a%3f/../../..',
    's3://bucket/key/../../x',
    'http://169.254.169.254/latest/meta-data/',
    'https://evil.example.com/model',
    'ftp://evil.example.com/model',
    'hdfs://namenode/etc',
    'models:/../../etc',
    'models:/m-0123456789abcdef0123456789abcdef/../../etc',
    'models://evil.example.com/x/1',
    'models:/name/1/../../../etc',
    '',
    ' file:///etc/passwd',
  ];
}

describe.each(MLFLOW_PREFIXES)('%s model-versions/create source', (prefix) => {
  let model: string;
  beforeAll(async () => {
    model = uniqueName('lfi');
    await t.http.post(`${prefix}/registered-models/create`).send({ name: model }).expect(200);
  });

  it.each([false, true])(
    'refuses every hostile source (prompt tag: %p) and stores nothing',
    async (asPrompt) => {
      const tags = asPrompt ? [{ key: 'mlflow.prompt.is_prompt', value: 'true' }] : [];
      for (const source of hostileSources()) {
        const res = await t.http.post(`${prefix}/model-versions/create`).send({ name: model, source, tags });
        seen.push(res);
        expect({ source, status: res.status }).toEqual({
          source,
          status: res.status >= 400 && res.status < 500 ? res.status : 'a 4xx',
        });
        expectMlflowError(res, '4xx', ['INVALID_PARAMETER_VALUE', 'RESOURCE_DOES_NOT_EXIST']);
      }
      const rows = await t
        .db('model_versions as v')
        .join('registered_models as m', 'm.id', 'v.registered_model_id')
        .where('m.name', model);
      expect(rows).toHaveLength(0);
    },
  );

  it('refuses hostile sources on a prompt registered model too', async () => {
    const prompt = uniqueName('prompt');
    await t.http
      .post(`${prefix}/registered-models/create`)
      .send({ name: prompt, tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }] })
      .expect(200);
    for (const source of [
      'file:///etc/passwd',
      '../../../etc',
      '/etc',
      `file://${canaries.outsideDir}/passwd`,
    ]) {
      const res = await t.http.post(`${prefix}/model-versions/create`).send({
        name: prompt,
        source,
        tags: [
          { key: 'mlflow.prompt.is_prompt', value: 'true' },
          { key: 'mlflow.prompt.text', value: 'hi' },
        ],
      });
      seen.push(res);
      expectMlflowError(res, 400, 'INVALID_PARAMETER_VALUE');
    }
  });

  it('a models:/ chain only ever resolves to a location inside the root', async () => {
    const good = await t.http
      .post(`${prefix}/model-versions/create`)
      .send({
        name: model,
        source: 'mlflow-artifacts:/0/models/m-0123456789abcdef0123456789abcdef/artifacts',
      })
      .expect(200);
    const chained = await t.http
      .post(`${prefix}/model-versions/create`)
      .send({ name: model, source: `models:/${model}/${good.body.model_version.version}` })
      .expect(200);
    const uri = await t.http
      .get(`${prefix}/model-versions/get-download-uri`)
      .query({ name: model, version: chained.body.model_version.version });
    expect(uri.status).toBe(200);
    expect(uri.body.artifact_uri).toMatch(/^mlflow-artifacts:\/[^/]/);
    expect(uri.body.artifact_uri).not.toMatch(/\.\.|file:|%2e/i);
    const missing = await t.http
      .post(`${prefix}/model-versions/create`)
      .send({ name: model, source: `models:/${model}/999999` });
    expectMlflowError(missing, '4xx');
  });
});

describe('symlinks planted inside the artifact root', () => {
  // A source naming a symlink is lexically inside the root, so it may be stored; what matters is that no
  // download path ever follows the link out (the store checks realpath on every read and listing).
  it.each(['link-to-outside', 'link-to-passwd', 'link-to-outside/etc', 'dangling-link'])(
    'never serves the outside files of mlflow-artifacts:/%s through signed download links',
    async (link) => {
      const model = uniqueName('symlink');
      await t.http.post('/api/2.0/mlflow/registered-models/create').send({ name: model }).expect(200);
      const created = await t.http
        .post('/api/2.0/mlflow/model-versions/create')
        .send({ name: model, source: `mlflow-artifacts:/${link}` });
      seen.push(created);
      if (created.status !== 200) return expectMlflowError(created, 400, 'INVALID_PARAMETER_VALUE');
      const uris = await t.http
        .get(`/api/models/${model}/download-uris`)
        .query({ version: created.body.model_version.version });
      seen.push(uris);
      expect(uris.status).toBeLessThan(500);
      if (uris.status !== 200) return expectMlflowError(uris, '4xx');
      const files = (uris.body.files ?? []) as Array<{ url: string }>;
      for (const file of files) {
        const url = new URL(file.url);
        seen.push(await t.http.get(`${url.pathname}${url.search}`));
      }
      expect(files.map((f) => f.url).join('\n')).not.toMatch(/passwd|shadow/);
    },
  );
});

describe.each(MLFLOW_PREFIXES)('%s experiments/create artifact_location', (prefix) => {
  const locations = (): string[] => [
    'file:///etc',
    `file://${canaries.outsideDir}`,
    '/etc',
    canaries.outsideDir,
    '../../etc',
    './mlruns/../../etc',
    'mlflow-artifacts:/0/../../etc',
    'mlflow-artifacts:/0/%2e%2e/%2e%2e',
    'mlflow-artifacts:/0#frag',
    'mlflow-artifacts:/0;params',
    'mlflow-artifacts:/0?x=../..',
    'mlflow-artifacts://evil.example.com/0',
    'http://169.254.169.254/latest/meta-data/',
    'https://evil.example.com/bucket',
    'http://127.0.0.1:22/',
    's3://bucket/prefix',
    'dbfs:/databricks/mlflow',
    'runs:/0123456789abcdef/artifacts',
    'C:\\mlruns',
    'file://a#/..//tmp',
  ];

  it('refuses every hostile location and creates no experiment', async () => {
    for (const artifactLocation of locations()) {
      const name = uniqueName('exp');
      const res = await t.http
        .post(`${prefix}/experiments/create`)
        .send({ name, artifact_location: artifactLocation });
      seen.push(res);
      expect({ artifactLocation, status: res.status }).toEqual({ artifactLocation, status: 400 });
      expectMlflowError(res, 400, 'INVALID_PARAMETER_VALUE');
      const found = await t.http.get(`${prefix}/experiments/get-by-name`).query({ experiment_name: name });
      expectMlflowError(found, 404, 'RESOURCE_DOES_NOT_EXIST');
    }
  });

  it('always hands out a server-managed mlflow-artifacts:/<id> location', async () => {
    const res = await t.http
      .post(`${prefix}/experiments/create`)
      .send({ name: uniqueName('exp-ok') })
      .expect(200);
    const got = await t.http
      .get(`${prefix}/experiments/get`)
      .query({ experiment_id: res.body.experiment_id })
      .expect(200);
    expect(got.body.experiment.artifact_location).toBe(`mlflow-artifacts:/${res.body.experiment_id}`);
  });
});
