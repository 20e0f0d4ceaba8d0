import type { TestApp } from './test-app';

/** The two prefixes every MLflow route answers on; tests run their cases under both. */
export const MLFLOW_PREFIXES = ['/api/2.0/mlflow', '/ajax-api/2.0/mlflow'] as const;

let counter = 0;
/** A model name unique within the run, so tests never depend on each other's data. */
export function uniqueName(prefix = 'model'): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

export async function createModel(t: TestApp, name = uniqueName()): Promise<string> {
  await t.http.post('/api/2.0/mlflow/registered-models/create').send({ name }).expect(200);
  return name;
}

export async function createVersion(
  t: TestApp,
  name: string,
  tags: Record<string, string> = {},
  source = 'mlflow-artifacts:/0/models/m-0123456789abcdef0123456789abcdef/artifacts',
): Promise<Record<string, any>> {
  const res = await t.http
    .post('/api/2.0/mlflow/model-versions/create')
    .send({ name, source, tags: Object.entries(tags).map(([key, value]) => ({ key, value })) });
  if (res.status !== 200) throw new Error(`create version failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.model_version;
}

/** A run in the default experiment; its artifact root is `mlflow-artifacts:/0/<run_id>/artifacts`. */
export async function createRun(t: TestApp): Promise<{ runId: string; artifactUri: string }> {
  const res = await t.http.post('/api/2.0/mlflow/runs/create').send({ experiment_id: '0' }).expect(200);
  return { runId: res.body.run.info.run_id, artifactUri: res.body.run.info.artifact_uri };
}

/** The value of tag `key` in an MLflow `[{key, value}]` list. */
export function tagValue(
  tags: Array<{ key: string; value?: string }> | undefined,
  key: string,
): string | undefined {
  return tags?.find((tag) => tag.key === key)?.value;
}

/**
 * Stores files under `dir` the way the MLflow client does (PUTs through the artifact proxy), so the server
 * records their size and sha256; returns the `mlflow-artifacts:/` URI of `dir`.
 */
export async function putArtifacts(
  t: TestApp,
  dir: string,
  files: Record<string, string | Buffer>,
  headers: Record<string, string> = {},
): Promise<string> {
  for (const [rel, content] of Object.entries(files)) {
    const res = await t.http
      .put(`/api/2.0/mlflow-artifacts/artifacts/${dir}/${rel.split('/').map(encodeURIComponent).join('/')}`)
      .set({ 'Content-Type': 'application/octet-stream', ...headers })
      .send(Buffer.from(content));
    if (res.status !== 200) throw new Error(`artifact PUT failed: ${res.status} ${res.text}`);
  }
  return `mlflow-artifacts:/${dir}`;
}
