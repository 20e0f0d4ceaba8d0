import type { TestApp } from '../helpers/test-app';
import { putArtifacts, uniqueName } from '../helpers/mlflow';

/**
 * Data for the page tests, made through the public API as a user would: package uploads with CI headers
 * (what `curl` in a CI job sends), MLflow version creation, a run with metric history, a stage and an alias.
 */
export interface SeededModel {
  name: string;
  /** integer version by semver */
  versions: Record<string, string>;
  jobId: string;
  runId: string;
  experimentId: string;
  files: Record<string, string>;
}

async function ok(res: PromiseLike<{ status: number; body: any }>, what: string): Promise<any> {
  const answer = await res;
  if (answer.status >= 300) throw new Error(`${what}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

export async function seedModel(t: TestApp, prefix = 'ui'): Promise<SeededModel> {
  const name = uniqueName(prefix);
  const jobId = String(Math.floor(Math.random() * 1e9));
  const files: Record<string, string> = {
    MLmodel: 'artifact_path: model\nflavors:\n  python_function:\n    loader_module: mlflow.sklearn\n',
    'metrics.json': '{"auc":0.91,"rows":1200}',
    'sample.csv': 'id,score\n1,0.5\n2,"0.75"\n',
  };
  const versions: Record<string, string> = {};
  // Uploaded out of semver order on purpose: the UI must sort by precedence, not by integer version.
  for (const semver of ['1.0.0', '1.2.0', '1.1.0', '1.3.0-rc.1']) {
    const ci = semver === '1.2.0';
    for (const [path, body] of Object.entries(files)) {
      const put = t.http
        .put(`/api/packages/${name}/${semver}/${path}`)
        .set('Content-Type', 'application/octet-stream');
      if (ci) put.set('X-CI-Job-Id', jobId).set('X-CI-Job-Url', `https://ci.example.com/jobs/${jobId}`);
      const res = await ok(put.send(Buffer.from(body)), `upload ${semver}/${path}`);
      versions[semver] = res.model_version.version;
    }
  }
  const experiment = await ok(
    t.http.post('/api/2.0/mlflow/experiments/create').send({ name: uniqueName('exp') }),
    'create experiment',
  );
  const run = await ok(
    t.http
      .post('/api/2.0/mlflow/runs/create')
      .set('X-CI-Job-Id', jobId)
      .send({ experiment_id: experiment.experiment_id, start_time: Date.now(), run_name: 'training' }),
    'create run',
  );
  const runId = run.run.info.run_id;
  await putArtifacts(t, String(run.run.info.artifact_uri).replace('mlflow-artifacts:/', ''), {
    'notes.txt': 'trained on 2026-12 data\n',
    'model/MLmodel': files.MLmodel,
  });
  const now = Date.now();
  await ok(
    t.http.post('/api/2.0/mlflow/runs/log-batch').send({
      run_id: runId,
      metrics: [
        ...[0.5, 0.7, 0.8].map((value, step) => ({ key: 'accuracy', value, timestamp: now + step, step })),
        ...[0.9, 0.6, 0.4].map((value, step) => ({ key: 'loss', value, timestamp: now + step, step })),
      ],
      params: [{ key: 'alpha', value: '0.1' }],
      tags: [{ key: 'team', value: 'fraud' }],
    }),
    'log batch',
  );
  await ok(
    t.http
      .post('/api/2.0/mlflow/model-versions/set-tag')
      .send({ name, version: versions['1.2.0'], key: 'owner', value: 'ml-team' }),
    'set tag',
  );
  await ok(
    t.http.post(`/api/models/${name}/promote`).send({ stage: 'Production', semver: '1.1.0' }),
    'promote 1.1.0',
  );
  await ok(
    t.http
      .post('/api/2.0/mlflow/registered-models/alias')
      .send({ name, alias: 'champion', version: versions['1.2.0'] }),
    'set alias',
  );
  return { name, versions, jobId, runId, experimentId: experiment.experiment_id, files };
}
