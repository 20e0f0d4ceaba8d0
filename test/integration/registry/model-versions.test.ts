import { createTestApp, TestApp } from '../../helpers/test-app';
import { createModel, createRun, createVersion, MLFLOW_PREFIXES, tagValue } from '../../helpers/mlflow';

const SOURCE = 'mlflow-artifacts:/0/models/m-0123456789abcdef0123456789abcdef/artifacts';

describe.each(MLFLOW_PREFIXES)('model versions under %s', (prefix) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const create = (body: object) => t.http.post(`${prefix}/model-versions/create`).send(body);

  describe('POST model-versions/create', () => {
    it('returns READY, an integer version string, the semver tag and every field sent', async () => {
      const name = await createModel(t);
      const res = await create({
        name,
        source: SOURCE,
        description: 'first',
        run_link: 'https://ci.example/run/1',
        tags: [{ key: 'team', value: 'growth' }],
      }).expect(200);
      const mv = res.body.model_version;
      expect(mv).toMatchObject({
        name,
        version: '1',
        status: 'READY',
        current_stage: 'None',
        source: SOURCE,
        description: 'first',
        run_link: 'https://ci.example/run/1',
        aliases: [],
      });
      expect(tagValue(mv.tags, 'semver')).toBe('1.0.0');
      expect(tagValue(mv.tags, 'team')).toBe('growth');
    });

    it('lets a copy (source models:/<m>/<v> with the origin’s tags) take the next patch when its semver is taken', async () => {
      const name = await createModel(t);
      await create({ name, source: SOURCE, tags: [{ key: 'semver', value: '2.1.0' }] }).expect(200);
      // What MlflowClient.copy_model_version sends for a copy into the same model.
      const copy = await create({
        name,
        source: `models:/${name}/1`,
        tags: [
          { key: 'semver', value: '2.1.0' },
          { key: 'team', value: 'growth' },
        ],
      }).expect(200);
      expect(copy.body.model_version.version).toBe('2');
      expect(tagValue(copy.body.model_version.tags, 'semver')).toBe('2.1.1');
      expect(tagValue(copy.body.model_version.tags, 'semreg.copied_from')).toBe(`${name}/1@2.1.0`);
      expect(tagValue(copy.body.model_version.tags, 'team')).toBe('growth');

      // Into a model where the semver is free, the copy keeps it and no tag is added.
      const other = await createModel(t);
      const kept = await create({
        name: other,
        source: `models:/${name}/1`,
        tags: [{ key: 'semver', value: '2.1.0' }],
      }).expect(200);
      expect(tagValue(kept.body.model_version.tags, 'semver')).toBe('2.1.0');
      expect(tagValue(kept.body.model_version.tags, 'semreg.copied_from')).toBeUndefined();

      // A semver that is not the origin's is a conflict as always.
      const conflict = await create({
        name,
        source: `models:/${name}/1`,
        tags: [{ key: 'semver', value: '2.1.1' }],
      }).expect(400);
      expect(conflict.body.error_code).toBe('RESOURCE_ALREADY_EXISTS');
    });

    it('refuses lineage the request contradicts, with the reference’s messages', async () => {
      const name = await createModel(t);
      const { runId, artifactUri } = await createRun(t);
      await create({ name, source: `${artifactUri}/model`, run_id: runId }).expect(200);
      const wrongRun = await create({
        name,
        source: `runs:/${'b'.repeat(32)}/model`,
        run_id: 'c'.repeat(32),
      }).expect(400);
      expect(wrongRun.body).toEqual({
        error_code: 'INVALID_PARAMETER_VALUE',
        message: `Invalid model version source: 'runs:/${'b'.repeat(32)}/model'. The run_id request parameter must identify the resource that contains the source.`,
      });
      const wrongCopy = await create({ name, source: `models:/${name}/1`, run_id: 'd'.repeat(32) }).expect(
        400,
      );
      expect(wrongCopy.body.message).toBe(
        `Invalid model version source: 'models:/${name}/1'. The run_id and model_id request parameters must match the referenced model version.`,
      );
      // Matching lineage is accepted, and a refused create consumes no version number.
      const copy = await create({ name, source: `models:/${name}/1`, run_id: runId }).expect(200);
      expect(copy.body.model_version.version).toBe('2');
    });

    it('takes files of the own store only with the run_id or model_id whose artifact root holds them', async () => {
      const name = await createModel(t);
      const { runId, artifactUri } = await createRun(t);
      const other = await createRun(t);
      const refused = (source: string, field: string) => ({
        error_code: 'INVALID_PARAMETER_VALUE',
        message: `Invalid model version source: '${source}'. The ${field} request parameter must identify the resource that contains the source.`,
      });
      const inRun = `${artifactUri}/model`;
      // Another run's files, a run that does not exist, the run's files without its id, a path outside the run.
      for (const [body, field] of [
        [{ source: inRun, run_id: other.runId }, 'run_id'],
        [{ source: inRun, run_id: 'f'.repeat(32) }, 'run_id'],
        [{ source: inRun }, 'run_id'],
        [{ source: `mlflow-artifacts:/0/${other.runId}/artifacts/model`, run_id: runId }, 'run_id'],
        [{ source: inRun, model_id: `m-${'0'.repeat(32)}` }, 'model_id'],
        [{ source: `runs:/${runId}/model` }, 'run_id'],
        [{ source: `runs:/${runId}/model`, run_id: runId, model_id: `m-${'0'.repeat(32)}` }, 'model_id'],
        [{ source: `models:/m-${'0'.repeat(32)}` }, 'model_id'],
      ] as const) {
        const res = await create({ name, ...body }).expect(400);
        expect(res.body).toEqual(refused(body.source, field));
      }
      // Spelled differently, the path is still the run's: the path guard normalises it before the check.
      const encoded = `mlflow-artifacts:/0/${runId}/%61rtifacts/./model`;
      expect((await create({ name, source: encoded }).expect(400)).body.error_code).toBe(
        'INVALID_PARAMETER_VALUE',
      );
      const ok = await create({ name, source: inRun, run_id: runId }).expect(200);
      expect(ok.body.model_version).toMatchObject({ version: '1', source: inRun, run_id: runId });
      // A path that holds no run's or logged model's files needs no id (hand-made and GTO-imported sources).
      await create({ name, source: 'mlflow-artifacts:/gto/model/1.0.0' }).expect(200);
    });

    it('accepts a runs:/ source without looking the run up, answers it from get-download-uri, and 404s reads while the run is absent', async () => {
      const name = await createModel(t);
      const runId = 'e'.repeat(32);
      const created = await create({ name, source: `runs:/${runId}/model`, run_id: runId }).expect(200);
      expect(created.body.model_version.source).toBe(`runs:/${runId}/model`);
      const uri = await t.http
        .get(`${prefix}/model-versions/get-download-uri`)
        .query({ name, version: created.body.model_version.version })
        .expect(200);
      expect(uri.body).toEqual({ artifact_uri: `runs:/${runId}/model` });
      const read = await t.http
        .get('/model-versions/get-artifact')
        .query({ name, version: created.body.model_version.version, path: 'MLmodel' })
        .expect(404);
      expect(read.body).toEqual({
        error_code: 'RESOURCE_DOES_NOT_EXIST',
        message: `Run with id=${runId} not found`,
      });
    });

    it('assigns the next patch after the highest release when no semver tag is given', async () => {
      const name = await createModel(t);
      await createVersion(t, name, { semver: '2.3.0' });
      await createVersion(t, name, { semver: '3.0.0-rc.1' });
      const third = await createVersion(t, name);
      expect(third.version).toBe('3');
      expect(tagValue(third.tags, 'semver')).toBe('2.3.1');
    });

    it('accepts gitlab.version as an alias of the semver tag', async () => {
      const name = await createModel(t);
      const mv = await createVersion(t, name, { 'gitlab.version': '4.5.6-beta.2+build.7' });
      expect(tagValue(mv.tags, 'semver')).toBe('4.5.6-beta.2+build.7');
    });

    it.each([
      ['1.2', 'MAJOR.MINOR.PATCH'],
      ['v1.2.3', "prefix such as 'v'"],
      ['01.2.3', 'leading zeros'],
      ['1.2.3-01', 'leading zeros'],
      ['1.2.3-a..b', 'must not be empty'],
      ['1.2.3-a_b', '[0-9A-Za-z-]'],
    ])('refuses the invalid semver %s naming the rule', async (semver, rule) => {
      const name = await createModel(t);
      const res = await create({ name, source: SOURCE, tags: [{ key: 'semver', value: semver }] }).expect(
        400,
      );
      expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
      expect(res.body.message).toContain(`'${semver}'`);
      expect(res.body.message).toContain(rule);
    });

    it('refuses a semver the model already uses, naming the version, and leaves no gap in numbering', async () => {
      const name = await createModel(t);
      await createVersion(t, name, { semver: '1.4.0' });
      const res = await create({
        name,
        source: SOURCE,
        tags: [{ key: 'semver', value: '1.4.0+other-build' }],
      }).expect(400);
      expect(res.body).toEqual({
        error_code: 'RESOURCE_ALREADY_EXISTS',
        message: `Semantic version 1.4.0+other-build is already used by version 1 of registered model '${name}'.`,
      });
      expect((await createVersion(t, name)).version).toBe('2');
    });

    it('answers 404 for a missing registered model', async () => {
      const res = await create({ name: 'no-such-model', source: SOURCE }).expect(404);
      expect(res.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    });

    // The reference server 3.17.2 answers these same 400s for a model that does not exist: it checks the
    // source before it looks the model up.
    it.each([
      ['a scheme that addresses a host', 'ftp://host/model'],
      ['a runs:/ source without its run_id', 'runs:/abc/model'],
      ['a parent segment', 'mlflow-artifacts:/a/../../b'],
    ])('checks the source before the model exists: %s is 400 on a missing model', async (_what, source) => {
      const res = await create({ name: 'no-such-model', source });
      expect({ status: res.status, error_code: res.body.error_code }).toEqual({
        status: 400,
        error_code: 'INVALID_PARAMETER_VALUE',
      });
    });

    it.each([
      'file:///etc/passwd',
      'file://./etc',
      '/etc',
      '//proc/self/root',
      '../../../etc',
      'mlflow-artifacts://host/../../etc',
      'mlflow-artifacts:/0/%2e%2e/%2e%2e/etc',
      'mlflow-artifacts:/0/%252e%252e/etc',
      'mlflow-artifacts:/0/a\u0000b',
      'https://example.com/model',
      'hdfs://namenode/x',
      's3://bucket/a/../b',
      'gs://bucket/%2e%2e/b',
      'runs:/abc/../../etc',
    ])('refuses the source %j before touching anything', async (source) => {
      const name = await createModel(t);
      const res = await create({ name, source }).expect(400);
      expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
      // also when the request claims to be a prompt (two MLflow CVEs skipped validation there)
      await create({ name, source, tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }] }).expect(400);
      const search = await t.http
        .get(`${prefix}/model-versions/search`)
        .query({ filter: `name='${name}'` })
        .expect(200);
      expect(search.body.model_versions ?? []).toHaveLength(0);
    });

    it.each([
      's3://other-bucket/models/m1',
      'gs://bucket/m',
      'wasbs://c@acct.blob.core.windows.net/m',
      'dbfs:/models/m',
    ])(
      'stores the object-store source %j as given, as the reference does, and never reads it',
      async (source) => {
        const name = await createModel(t);
        const created = await create({ name, source }).expect(200);
        expect(created.body.model_version.source).toBe(source);
        const uri = await t.http
          .get(`${prefix}/model-versions/get-download-uri`)
          .query({ name, version: 1 })
          .expect(200);
        expect(uri.body).toEqual({ artifact_uri: source });
        const read = await t.http
          .get('/model-versions/get-artifact')
          .query({ name, version: 1, path: 'MLmodel' })
          .expect(400);
        expect(read.body.message).toContain('is not served by this server');
        // A prompt version takes none (the reference allows only its placeholders there).
        await create({ name, source, tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }] }).expect(400);
      },
    );

    it('refuses schemes that address a host with the reference’s message', async () => {
      const res = await create({ name: await createModel(t), source: 'ftp://files.example.com/m' }).expect(
        400,
      );
      expect(res.body.message).toBe(
        "'source' cannot use the 'ftp' scheme: the 'ftp' scheme addresses a host other than the tracking server's configured artifact storage, so the server would connect to the host named in the URI.",
      );
    });

    it('resolves a models:/<name>/<version> source to that version’s location', async () => {
      const name = await createModel(t);
      await createVersion(t, name);
      const res = await create({ name, source: `models:/${name}/1` }).expect(200);
      const uri = await t.http
        .get(`${prefix}/model-versions/get-download-uri`)
        .query({ name, version: res.body.model_version.version })
        .expect(200);
      expect(uri.body).toEqual({ artifact_uri: SOURCE });
    });

    it('stores the CI job from X-CI-* headers and returns it as ci.* tags', async () => {
      const name = await createModel(t);
      const res = await create({ name, source: SOURCE })
        .set('X-CI-Job-Id', '4242')
        .set('X-CI-Commit-Sha', 'deadbeefcafe')
        .expect(200);
      expect(tagValue(res.body.model_version.tags, 'ci.job_id')).toBe('4242');
      expect(tagValue(res.body.model_version.tags, 'ci.commit_sha')).toBe('deadbeefcafe');
      const found = await t.http
        .get(`${prefix}/model-versions/search`)
        .query({ filter: "tag.`ci.job_id` = '4242'" })
        .expect(200);
      expect(found.body.model_versions.map((v: any) => v.name)).toEqual([name]);
    });
  });

  describe('get, update, delete', () => {
    it('refuses a non-integer version with the reference message', async () => {
      const name = await createModel(t);
      const res = await t.http
        .get(`${prefix}/model-versions/get`)
        .query({ name, version: '1.0.0' })
        .expect(400);
      expect(res.body).toEqual({
        error_code: 'INVALID_PARAMETER_VALUE',
        message: "Parameter 'version' must be an integer, got '1.0.0'.",
      });
    });

    it('answers 404 with the reference message for a missing version', async () => {
      const name = await createModel(t);
      const res = await t.http.get(`${prefix}/model-versions/get`).query({ name, version: '9' }).expect(404);
      expect(res.body).toEqual({
        error_code: 'RESOURCE_DOES_NOT_EXIST',
        message: `Model Version (name=${name}, version=9) not found`,
      });
    });

    it('updates the description', async () => {
      const name = await createModel(t);
      await createVersion(t, name);
      const res = await t.http
        .patch(`${prefix}/model-versions/update`)
        .send({ name, version: '1', description: 'better' })
        .expect(200);
      expect(res.body.model_version.description).toBe('better');
    });

    it('deletes a version, drops its aliases and never reuses its number', async () => {
      const name = await createModel(t);
      await createVersion(t, name);
      await createVersion(t, name);
      await t.http
        .post(`${prefix}/registered-models/alias`)
        .send({ name, alias: 'prod', version: '2' })
        .expect(200);
      await t.http.delete(`${prefix}/model-versions/delete`).send({ name, version: '2' }).expect(200);
      await t.http.get(`${prefix}/registered-models/alias`).query({ name, alias: 'prod' }).expect(400);
      expect((await createVersion(t, name)).version).toBe('3');
    });
  });

  describe('tags', () => {
    it('sets and deletes tags; the semver tag is immutable', async () => {
      const name = await createModel(t);
      await createVersion(t, name);
      await t.http
        .post(`${prefix}/model-versions/set-tag`)
        .send({ name, version: '1', key: 'validated', value: 'true' })
        .expect(200);
      let mv = (await t.http.get(`${prefix}/model-versions/get`).query({ name, version: '1' })).body
        .model_version;
      expect(tagValue(mv.tags, 'validated')).toBe('true');
      await t.http
        .delete(`${prefix}/model-versions/delete-tag`)
        .send({ name, version: '1', key: 'validated' })
        .expect(200);
      mv = (await t.http.get(`${prefix}/model-versions/get`).query({ name, version: '1' })).body
        .model_version;
      expect(tagValue(mv.tags, 'validated')).toBeUndefined();

      const set = await t.http
        .post(`${prefix}/model-versions/set-tag`)
        .send({ name, version: '1', key: 'semver', value: '9.9.9' })
        .expect(400);
      expect(set.body.message).toContain('immutable');
      await t.http
        .delete(`${prefix}/model-versions/delete-tag`)
        .send({ name, version: '1', key: 'semver' })
        .expect(400);
      mv = (await t.http.get(`${prefix}/model-versions/get`).query({ name, version: '1' })).body
        .model_version;
      expect(tagValue(mv.tags, 'semver')).toBe('1.0.0');
    });
  });

  describe('tags named like object properties', () => {
    it.each(['toString', 'constructor', '__proto__'])('stores the tag %s as an ordinary tag', async (key) => {
      const name = await createModel(t);
      await createVersion(t, name);
      await t.http
        .post(`${prefix}/model-versions/set-tag`)
        .send({ name, version: '1', key, value: 'v' })
        .expect(200);
      const mv = (await t.http.get(`${prefix}/model-versions/get`).query({ name, version: '1' })).body
        .model_version;
      expect(tagValue(mv.tags, key)).toBe('v');
      await t.http
        .delete(`${prefix}/model-versions/delete-tag`)
        .send({ name, version: '1', key })
        .expect(200);
    });
  });

  describe('POST model-versions/transition-stage', () => {
    it('moves a version and archives the other occupants when asked', async () => {
      const name = await createModel(t);
      await createVersion(t, name);
      await createVersion(t, name);
      await t.http
        .post(`${prefix}/model-versions/transition-stage`)
        .send({ name, version: '1', stage: 'Production', archive_existing_versions: false })
        .expect(200);
      const res = await t.http
        .post(`${prefix}/model-versions/transition-stage`)
        .send({ name, version: '2', stage: 'production', archive_existing_versions: true })
        .expect(200);
      expect(res.body.model_version.current_stage).toBe('Production');
      const first = await t.http.get(`${prefix}/model-versions/get`).query({ name, version: '1' });
      expect(first.body.model_version.current_stage).toBe('Archived');
    });

    it('refuses an unknown stage and archiving from a non-active stage', async () => {
      const name = await createModel(t);
      await createVersion(t, name);
      const bad = await t.http
        .post(`${prefix}/model-versions/transition-stage`)
        .send({ name, version: '1', stage: 'Prod', archive_existing_versions: false })
        .expect(400);
      expect(bad.body.error_code).toBe('INVALID_PARAMETER_VALUE');
      await t.http
        .post(`${prefix}/model-versions/transition-stage`)
        .send({ name, version: '1', stage: 'Archived', archive_existing_versions: true })
        .expect(400);
    });
  });
});
