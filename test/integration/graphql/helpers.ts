import fs from 'node:fs';
import path from 'node:path';
import { putArtifacts, uniqueName } from '../../helpers/mlflow';
import type { TestApp } from '../../helpers/test-app';

/** MLflow's web UI documents (captured from its bundle, see ui-queries/), by file name. */
export type UiQuery = 'get-experiment' | 'get-run' | 'search-runs' | 'get-metric-history-bulk-interval';

export function uiQuery(name: UiQuery): string {
  return fs.readFileSync(path.join(__dirname, 'ui-queries', `${name}.graphql`), 'utf8');
}

/** POST /graphql as MLflow's UI sends it; `headers` carry a token in the AUTH=on tests. */
export function graphql(
  t: TestApp,
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
) {
  return t.http.post('/graphql').set(headers).send({ query, variables });
}

const API = '/api/2.0/mlflow';

export interface LoggedRun {
  experimentId: string;
  experimentName: string;
  runId: string;
  artifactUri: string;
}

/**
 * What the UI's pages show, logged through the REST API as the MLflow client logs it: an experiment with a
 * tag, a finished run with a param, tags, a five-step metric (and a NaN one), an input dataset and two
 * artifacts.
 */
export async function logRun(t: TestApp, headers: Record<string, string> = {}): Promise<LoggedRun> {
  const experimentName = uniqueName('gql-exp');
  const created = await t.http
    .post(`${API}/experiments/create`)
    .set(headers)
    .send({ name: experimentName, tags: [{ key: 'team', value: 'ml' }] })
    .expect(200);
  const experimentId: string = created.body.experiment_id;
  const run = await t.http
    .post(`${API}/runs/create`)
    .set(headers)
    .send({
      experiment_id: experimentId,
      run_name: 'graphql-run',
      start_time: 1700000000000,
      tags: [{ key: 't1', value: 'v1' }],
    })
    .expect(200);
  const runId: string = run.body.run.info.run_id;
  const artifactUri: string = run.body.run.info.artifact_uri;
  await t.http
    .post(`${API}/runs/log-batch`)
    .set(headers)
    .send({
      run_id: runId,
      params: [{ key: 'alpha', value: '0.5' }],
      metrics: [
        ...[0, 1, 2, 3, 4].map((step) => ({
          key: 'loss',
          value: 1 / (step + 1),
          step,
          timestamp: 1700000000000 + step,
        })),
        { key: 'nanm', value: 'NaN', step: 0, timestamp: 1700000000000 },
      ],
    })
    .expect(200);
  await t.http
    .post(`${API}/runs/log-inputs`)
    .set(headers)
    .send({
      run_id: runId,
      datasets: [
        {
          tags: [{ key: 'mlflow.data.context', value: 'training' }],
          dataset: { name: 'train', digest: 'abc123', source_type: 'local', source: '{"uri": "x.csv"}' },
        },
      ],
    })
    .expect(200);
  await putArtifacts(
    t,
    artifactUri.replace(/^mlflow-artifacts:\//, ''),
    { 'dir/hello.txt': 'hello', 'notes.txt': 'notes!' },
    headers,
  );
  await t.http
    .post(`${API}/runs/update`)
    .set(headers)
    .send({ run_id: runId, status: 'FINISHED', end_time: 1700000009999 })
    .expect(200);
  return { experimentId, experimentName, runId, artifactUri };
}

/** A registered model with one version from `runId` (a `runs:/` source, as `log_model` registers it). */
export async function registerFromRun(
  t: TestApp,
  runId: string,
  name = uniqueName('gql-model'),
  headers: Record<string, string> = {},
) {
  await t.http.post(`${API}/registered-models/create`).set(headers).send({ name }).expect(200);
  const res = await t.http
    .post(`${API}/model-versions/create`)
    .set(headers)
    .send({ name, source: `runs:/${runId}/model`, run_id: runId })
    .expect(200);
  return { name, version: res.body.model_version.version as string };
}
