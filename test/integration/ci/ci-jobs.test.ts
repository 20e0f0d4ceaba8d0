import { createModel, tagValue, uniqueName } from '../../helpers/mlflow';
import { createTestApp, TestApp } from '../../helpers/test-app';
import { bearer, mintToken } from '../../helpers/tokens';

describe('CI job linkage and GET /api/ci/jobs/<job_id>', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const jobId = () => `job-${uniqueName()}`;

  it('lists the model versions, package files and runs a job produced', async () => {
    const job = jobId();
    const model = await createModel(t);
    const version = await t.http
      .post('/api/2.0/mlflow/model-versions/create')
      .set('X-CI-Job-Url', `https://ci.example/jobs/${job}`)
      .send({
        name: model,
        source: 'mlflow-artifacts:/0/abc/artifacts/model',
        tags: [
          { key: 'ci.job_id', value: job },
          { key: 'ci.commit_sha', value: 'ABCDEF1' },
        ],
      })
      .expect(200);
    const pkg = uniqueName('pkg');
    await t.http
      .put(`/api/packages/${pkg}/2.1.0/model.onnx`)
      .set('X-CI-Job-Id', job)
      .set('X-CI-Pipeline-Id', '900')
      .send('bytes')
      .expect(201);
    const run = await t.http
      .post('/api/2.0/mlflow/runs/create')
      .send({ experiment_id: '0', tags: [{ key: 'gitlab.CI_JOB_ID', value: job }] })
      .expect(200);

    const res = await t.http.get(`/api/ci/jobs/${job}`).expect(200);
    expect(res.body).toEqual({
      job_id: job,
      job_url: `https://ci.example/jobs/${job}`,
      pipeline_id: '900',
      commit_sha: 'abcdef1',
      model_versions: expect.arrayContaining([
        { name: model, version: version.body.model_version.version, semver: '1.0.0' },
        { name: pkg, version: '1', semver: '2.1.0' },
      ]),
      files: [
        { model: pkg, semver: '2.1.0', path: 'model.onnx', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
      ],
      runs: [{ run_id: run.body.run.info.run_id, experiment_id: '0' }],
    });
    expect(res.body.model_versions).toHaveLength(2);
  });

  it('returns the CI job as ci.* tags of the model version and finds it with search_model_versions', async () => {
    const job = jobId();
    const model = await createModel(t);
    await t.http
      .post('/api/2.0/mlflow/model-versions/create')
      .set('X-CI-Job-Id', job)
      .send({ name: model, source: 'mlflow-artifacts:/0/abc/artifacts/model' })
      .expect(200);
    const found = await t.http
      .get('/api/2.0/mlflow/model-versions/search')
      .query({ filter: `tag.\`ci.job_id\` = '${job}'` })
      .expect(200);
    expect(found.body.model_versions).toHaveLength(1);
    expect(tagValue(found.body.model_versions[0].tags, 'ci.job_id')).toBe(job);
  });

  it('links runs through X-CI-* headers on runs/create, returned as ci.* tags', async () => {
    const job = jobId();
    const run = await t.http
      .post('/api/2.0/mlflow/runs/create')
      .set('X-CI-Job-Id', job)
      .send({ experiment_id: '0' })
      .expect(200);
    expect(tagValue(run.body.run.data.tags, 'ci.job_id')).toBe(job);
    const res = await t.http.get(`/api/ci/jobs/${job}`).expect(200);
    expect(res.body.runs).toEqual([{ run_id: run.body.run.info.run_id, experiment_id: '0' }]);
  });

  it('follows run tags set and deleted after the run started (set-tag, log-batch, delete-tag)', async () => {
    const job = jobId();
    const run = await t.http.post('/api/2.0/mlflow/runs/create').send({ experiment_id: '0' }).expect(200);
    const runId = run.body.run.info.run_id;
    await t.http
      .post('/api/2.0/mlflow/runs/set-tag')
      .send({ run_id: runId, key: 'ci.job_id', value: job })
      .expect(200);
    expect((await t.http.get(`/api/ci/jobs/${job}`).expect(200)).body.runs).toHaveLength(1);
    await t.http
      .post('/api/2.0/mlflow/runs/log-batch')
      .send({ run_id: runId, tags: [{ key: 'ci.pipeline_id', value: '31' }] })
      .expect(200);
    expect((await t.http.get(`/api/ci/jobs/${job}`).expect(200)).body.pipeline_id).toBe('31');
    await t.http
      .post('/api/2.0/mlflow/runs/delete-tag')
      .send({ run_id: runId, key: 'ci.job_id' })
      .expect(200);
    expect((await t.http.get(`/api/ci/jobs/${job}`)).status).toBe(404);
  });

  it('answers 404 RESOURCE_DOES_NOT_EXIST for a job that produced nothing', async () => {
    const res = await t.http.get(`/api/ci/jobs/${jobId()}`);
    expect(res.status).toBe(404);
    expect(res.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('refuses malformed CI headers with 400 instead of storing them', async () => {
    const res = await t.http
      .put(`/api/packages/${uniqueName('pkg')}/1.0.0/f`)
      .set('X-CI-Job-Url', 'javascript:alert(1)')
      .send('x');
    expect(res.status).toBe(400);
    expect(res.body.message).toContain('job URL');
  });
});

describe('GET /api/ci/jobs/<job_id> with AUTH=on', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ AUTH: 'on' });
  });
  afterAll(() => t.close());

  it('shows a model-restricted token only the versions and files of its models', async () => {
    const admin = await mintToken(t, 'admin');
    const job = `job-${uniqueName()}`;
    const mine = `team-a-${uniqueName()}`;
    const theirs = uniqueName('team-b');
    for (const model of [mine, theirs]) {
      await t.http
        .put(`/api/packages/${model}/1.0.0/f`)
        .set(bearer(admin))
        .set('X-CI-Job-Id', job)
        .send('x')
        .expect(201);
    }
    const restricted = await mintToken(t, 'read', { models: ['team-a-*'] });
    const res = await t.http.get(`/api/ci/jobs/${job}`).set(bearer(restricted)).expect(200);
    expect(res.body.model_versions.map((v: { name: string }) => v.name)).toEqual([mine]);
    expect(res.body.files.map((f: { model: string }) => f.model)).toEqual([mine]);
    expect((await t.http.get(`/api/ci/jobs/${job}`)).status).toBe(401);
  });
});
