import { createTestApp, TestApp } from '../../helpers/test-app';
import { graphql, logRun, LoggedRun, registerFromRun, uiQuery } from './helpers';

/**
 * MLflow's GraphQL query fields, driven with the documents MLflow's web UI sends (ui-queries/), answered in
 * the reference server's shape: `{data, errors: null}`, int64 values as strings, unset fields as proto
 * defaults, MLflow errors as messages in `errors` with the field null.
 */
let t: TestApp;
let logged: LoggedRun;
let model: { name: string; version: string };

beforeAll(async () => {
  t = await createTestApp();
  logged = await logRun(t);
  model = await registerFromRun(t, logged.runId);
});
afterAll(() => t.close());

describe('POST /graphql mlflowGetExperiment (MlflowGetExperimentQuery)', () => {
  it('answers the experiment page with times as strings', async () => {
    const res = await graphql(t, uiQuery('get-experiment'), { input: { experimentId: logged.experimentId } });
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeNull();
    const { experiment, apiError } = res.body.data.mlflowGetExperiment;
    expect(apiError).toBeNull();
    expect(experiment).toMatchObject({
      experimentId: logged.experimentId,
      name: logged.experimentName,
      artifactLocation: `mlflow-artifacts:/${logged.experimentId}`,
      lifecycleStage: 'active',
      tags: [{ key: 'team', value: 'ml' }],
      effectiveTraceArchivalRetention: '',
    });
    expect(experiment.creationTime).toMatch(/^\d+$/);
    expect(experiment.lastUpdateTime).toMatch(/^\d+$/);
  });

  it('nulls the field and reports the REST message for an unknown experiment', async () => {
    const res = await graphql(t, uiQuery('get-experiment'), { input: { experimentId: '987654' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      data: { mlflowGetExperiment: null },
      errors: ['No Experiment with id=987654 exists'],
    });
  });
});

describe('POST /graphql mlflowGetRun (GetRun)', () => {
  it('answers the run page: info, experiment, data, inputs, outputs and registered versions', async () => {
    const res = await graphql(t, uiQuery('get-run'), { data: { runId: logged.runId } });
    expect(res.body.errors).toBeNull();
    const { run, apiError } = res.body.data.mlflowGetRun;
    expect(apiError).toBeNull();
    expect(run.info).toEqual({
      runName: 'graphql-run',
      status: 'FINISHED',
      runUuid: logged.runId,
      experimentId: logged.experimentId,
      artifactUri: logged.artifactUri,
      endTime: '1700000009999',
      lifecycleStage: 'active',
      startTime: '1700000000000',
      userId: '',
    });
    expect(run.experiment).toMatchObject({ experimentId: logged.experimentId, name: logged.experimentName });
    expect(run.modelVersions).toEqual([
      { status: 'READY', version: model.version, name: model.name, source: `runs:/${logged.runId}/model` },
    ]);
    // The latest value per key; NaN reads as null, as MlflowMetricExtension.value does on the reference.
    expect(run.data.metrics).toEqual([
      { key: 'loss', value: 0.2, step: '4', timestamp: '1700000000004' },
      { key: 'nanm', value: null, step: '0', timestamp: '1700000000000' },
    ]);
    expect(run.data.params).toEqual([{ key: 'alpha', value: '0.5' }]);
    expect(run.data.tags).toEqual(
      expect.arrayContaining([
        { key: 't1', value: 'v1' },
        { key: 'mlflow.runName', value: 'graphql-run' },
      ]),
    );
    expect(run.inputs.datasetInputs).toEqual([
      {
        dataset: {
          digest: 'abc123',
          name: 'train',
          profile: '',
          schema: '',
          source: '{"uri": "x.csv"}',
          sourceType: 'local',
        },
        tags: [{ key: 'mlflow.data.context', value: 'training' }],
      },
    ]);
    expect(run.inputs.modelInputs).toEqual([]);
    expect(run.outputs).toEqual({ modelOutputs: [] });
  });

  it('accepts the legacy runUuid', async () => {
    const res = await graphql(t, 'query { mlflowGetRun(input: {runUuid: $id}) { run { info { runId } } } }');
    expect(res.body.data).toBeNull(); // $id is not declared: a validation error, not a 5xx
    const ok = await graphql(
      t,
      'query Q($id: String) { mlflowGetRun(input: {runUuid: $id}) { run { info { runId } } } }',
      { id: logged.runId },
    );
    expect(ok.body).toEqual({
      data: { mlflowGetRun: { run: { info: { runId: logged.runId } } } },
      errors: null,
    });
  });

  it('nulls the field for an unknown run and for a missing id', async () => {
    const unknown = await graphql(t, uiQuery('get-run'), { data: { runId: 'f'.repeat(32) } });
    expect(unknown.body).toEqual({
      data: { mlflowGetRun: null },
      errors: [`Run with id=${'f'.repeat(32)} not found`],
    });
    const missing = await graphql(t, uiQuery('get-run'), { data: {} });
    expect(missing.body.data).toEqual({ mlflowGetRun: null });
    expect(missing.body.errors).toEqual([expect.stringContaining("'run_id'")]);
  });
});

describe('POST /graphql mlflowSearchRuns (SearchRuns)', () => {
  it('finds the run by filter, with its experiment and versions', async () => {
    const res = await graphql(t, uiQuery('search-runs'), {
      data: { filter: `attributes.run_id = '${logged.runId}'`, experimentIds: [logged.experimentId] },
    });
    expect(res.body.errors).toBeNull();
    const { runs, apiError } = res.body.data.mlflowSearchRuns;
    expect(apiError).toBeNull();
    expect(runs).toHaveLength(1);
    expect(runs[0].info.runUuid).toBe(logged.runId);
    expect(runs[0].experiment.name).toBe(logged.experimentName);
    expect(runs[0].modelVersions).toEqual([
      expect.objectContaining({ name: model.name, version: model.version, status: 'READY' }),
    ]);
  });

  it('is a mutation too, as in MLflow, with pages and the REST filter errors', async () => {
    const second = await t.http
      .post('/api/2.0/mlflow/runs/create')
      .send({ experiment_id: logged.experimentId, start_time: 1 })
      .expect(200);
    const page = await graphql(
      t,
      `mutation { mlflowSearchRuns(input: {experimentIds: ["${logged.experimentId}"], maxResults: 1,
         orderBy: ["attributes.start_time ASC"]}) { nextPageToken runs { info { runId } } } }`,
    );
    expect(page.body.errors).toBeNull();
    expect(page.body.data.mlflowSearchRuns.runs).toEqual([{ info: { runId: second.body.run.info.run_id } }]);
    expect(page.body.data.mlflowSearchRuns.nextPageToken).not.toBe('');
    const last = await graphql(
      t,
      `query { mlflowSearchRuns(input: {experimentIds: ["${logged.experimentId}"],
         runViewType: ACTIVE_ONLY}) { nextPageToken runs { info { runId } } } }`,
    );
    expect(last.body.data.mlflowSearchRuns.runs).toHaveLength(2);
    expect(last.body.data.mlflowSearchRuns.nextPageToken).toBe('');
    const bad = await graphql(t, uiQuery('search-runs'), {
      data: { filter: 'metrics.loss >>> 1', experimentIds: [logged.experimentId] },
    });
    expect(bad.body.data).toEqual({ mlflowSearchRuns: null });
    expect(bad.body.errors).toHaveLength(1);
  });
});

describe('POST /graphql MlflowRunExtension.modelVersions', () => {
  it('gives every run of a search its own versions (one batched search), none for a run that has none', async () => {
    const experimentId = (
      await t.http.post('/api/2.0/mlflow/experiments/create').send({ name: `batch-${Date.now()}` })
    ).body.experiment_id;
    const runIds: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const run = await t.http
        .post('/api/2.0/mlflow/runs/create')
        .send({ experiment_id: experimentId, start_time: 1000 + i })
        .expect(200);
      runIds.push(run.body.run.info.run_id);
    }
    const first = await registerFromRun(t, runIds[0]);
    const second = await registerFromRun(t, runIds[1]);
    const res = await graphql(
      t,
      `query { mlflowSearchRuns(input: {experimentIds: ["${experimentId}"], orderBy: ["attributes.start_time ASC"]}) {
         runs { info { runId } modelVersions { name version } } } }`,
    );
    expect(res.body.errors).toBeNull();
    expect(res.body.data.mlflowSearchRuns.runs).toEqual([
      { info: { runId: runIds[0] }, modelVersions: [{ name: first.name, version: first.version }] },
      { info: { runId: runIds[1] }, modelVersions: [{ name: second.name, version: second.version }] },
      { info: { runId: runIds[2] }, modelVersions: [] },
    ]);
  });
});

describe('POST /graphql mlflowGetMetricHistoryBulkInterval (GetMetricHistoryBulkInterval)', () => {
  it('answers the metrics chart as the UI asks for it (nulls for unset bounds)', async () => {
    const res = await graphql(t, uiQuery('get-metric-history-bulk-interval'), {
      data: { runIds: [logged.runId], metricKey: 'loss', startStep: null, endStep: null, maxResults: 320 },
    });
    expect(res.body.errors).toBeNull();
    const answer = res.body.data.mlflowGetMetricHistoryBulkInterval;
    expect(answer.__typename).toBe('MlflowGetMetricHistoryBulkIntervalResponse');
    expect(answer.apiError).toBeNull();
    expect(answer.metrics.map((m: { step: string }) => m.step)).toEqual(['0', '1', '2', '3', '4']);
    expect(answer.metrics[0]).toEqual({
      timestamp: '1700000000000',
      step: '0',
      runId: logged.runId,
      key: 'loss',
      value: 1,
    });
  });

  it('honours the step range and the sample size, as the REST route does', async () => {
    const res = await graphql(t, uiQuery('get-metric-history-bulk-interval'), {
      data: { runIds: [logged.runId], metricKey: 'loss', startStep: 1, endStep: 3, maxResults: 2 },
    });
    expect(
      res.body.data.mlflowGetMetricHistoryBulkInterval.metrics.map((m: { step: string }) => m.step),
    ).toEqual(['1', '3']);
  });

  it('reads a NaN value as null', async () => {
    const res = await graphql(t, uiQuery('get-metric-history-bulk-interval'), {
      data: { runIds: [logged.runId], metricKey: 'nanm' },
    });
    expect(res.body.errors).toBeNull();
    expect(res.body.data.mlflowGetMetricHistoryBulkInterval.metrics).toEqual([
      expect.objectContaining({ key: 'nanm', value: null }),
    ]);
  });
});

describe('POST /graphql mlflowListArtifacts', () => {
  const LIST = `query L($input: MlflowListArtifactsInput) {
    mlflowListArtifacts(input: $input) { rootUri nextPageToken files { path isDir fileSize } apiError { code } } }`;

  it('lists the root and a folder with paths relative to the run root', async () => {
    const root = await graphql(t, LIST, { input: { runId: logged.runId } });
    expect(root.body).toEqual({
      data: {
        mlflowListArtifacts: {
          rootUri: logged.artifactUri,
          nextPageToken: '',
          files: [
            { path: 'dir', isDir: true, fileSize: '0' },
            { path: 'notes.txt', isDir: false, fileSize: '6' },
          ],
          apiError: null,
        },
      },
      errors: null,
    });
    const dir = await graphql(t, LIST, { input: { runId: logged.runId, path: 'dir' } });
    expect(dir.body.data.mlflowListArtifacts.files).toEqual([
      { path: 'dir/hello.txt', isDir: false, fileSize: '5' },
    ]);
  });

  it('refuses a path leaving the run root through the path guard', async () => {
    const res = await graphql(t, LIST, { input: { runId: logged.runId, path: '../../x' } });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ mlflowListArtifacts: null });
    expect(res.body.errors).toHaveLength(1);
  });
});

describe('POST /graphql mlflowSearchModelVersions', () => {
  it('answers the REST search with every ModelVersion field', async () => {
    const res = await graphql(
      t,
      `query { mlflowSearchModelVersions(input: {filter: "name='${model.name}'", maxResults: "5"}) {
         nextPageToken modelVersions { name version runId status source description aliases currentStage
           tags { key value } creationTimestamp deploymentJobState { jobId jobState } } } }`,
    );
    expect(res.body.errors).toBeNull();
    const [version] = res.body.data.mlflowSearchModelVersions.modelVersions;
    expect(version).toMatchObject({
      name: model.name,
      version: model.version,
      runId: logged.runId,
      status: 'READY',
      description: '',
      aliases: [],
      currentStage: 'None',
      deploymentJobState: { jobId: '', jobState: null },
    });
    expect(version.creationTimestamp).toMatch(/^\d+$/);
    expect(res.body.data.mlflowSearchModelVersions.nextPageToken).toBe('');
  });

  it('refuses what the REST route refuses', async () => {
    const res = await graphql(
      t,
      'query { mlflowSearchModelVersions(input: {maxResults: "0"}) { nextPageToken } }',
    );
    expect(res.body.data).toEqual({ mlflowSearchModelVersions: null });
    expect(res.body.errors).toEqual([expect.stringContaining("'max_results'")]);
  });
});

describe('POST /graphql mlflowSearchDatasets', () => {
  it('lists the datasets of the experiments asked for', async () => {
    const res = await graphql(
      t,
      `mutation { mlflowSearchDatasets(input: {experimentIds: ["${logged.experimentId}"]}) {
         datasetSummaries { experimentId name digest context } apiError { code } } }`,
    );
    expect(res.body).toEqual({
      data: {
        mlflowSearchDatasets: {
          datasetSummaries: [
            { experimentId: logged.experimentId, name: 'train', digest: 'abc123', context: 'training' },
          ],
          apiError: null,
        },
      },
      errors: null,
    });
  });

  it("reports the reference's message without experiments", async () => {
    const res = await graphql(
      t,
      'mutation { mlflowSearchDatasets(input: {experimentIds: []}) { datasetSummaries { name } } }',
    );
    expect(res.body).toEqual({
      data: { mlflowSearchDatasets: null },
      errors: ['SearchDatasets request must specify at least one experiment_id.'],
    });
  });
});

describe('GET /graphql', () => {
  it('answers a query sent in the query string', async () => {
    const res = await t.http
      .get('/graphql')
      .query({
        query:
          'query Q($id: String) { mlflowGetExperiment(input: {experimentId: $id}) { experiment { name } } }',
        variables: JSON.stringify({ id: logged.experimentId }),
      })
      .expect(200);
    expect(res.body).toEqual({
      data: { mlflowGetExperiment: { experiment: { name: logged.experimentName } } },
      errors: null,
    });
  });
});
