import { WebhookWorker } from '../../../src/lifecycle/webhook-worker';
import { createTestApp, TestApp } from '../../helpers/test-app';
import { createModel, createRun, createVersion, tagValue, uniqueName } from '../../helpers/mlflow';
import { startWebhookReceiver, verifyMlflowSignature } from '../../helpers/webhook-receiver';

/** Every registry change made through MLflow's API lands in the history and fires its webhooks. */
describe('registry changes → events and webhooks', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ WEBHOOK_ALLOW_PRIVATE: 'true' });
  });
  afterAll(async () => {
    await t.close();
  });

  const api = '/api/2.0/mlflow';
  const types = async (name: string) =>
    (await t.http.get('/api/events').query({ model: name, max_results: 1000 }).expect(200)).body.events.map(
      (e: { type: string }) => e.type,
    );
  // The request always carries archive_existing_versions, as MlflowClient sends it (default False).
  const transition = (name: string, version: string, stage: string, archive_existing_versions = false) =>
    t.http
      .post(`${api}/model-versions/transition-stage`)
      .send({ name, version, stage, archive_existing_versions });
  const setAlias = (name: string, alias: string, version: string) =>
    t.http.post(`${api}/registered-models/alias`).send({ name, alias, version }).expect(200);

  it('records model, version, tag, alias and stage changes in order', async () => {
    const name = await createModel(t, uniqueName('ev'));
    await createVersion(t, name, { semver: '2.0.0' });
    await createVersion(t, name);
    await t.http
      .post(`${api}/registered-models/set-tag`)
      .send({ name, key: 'team', value: 'risk' })
      .expect(200);
    await t.http.delete(`${api}/registered-models/delete-tag`).send({ name, key: 'team' }).expect(200);
    await t.http
      .post(`${api}/model-versions/set-tag`)
      .send({ name, version: '1', key: 'validated', value: 'true' })
      .expect(200);
    await t.http
      .delete(`${api}/model-versions/delete-tag`)
      .send({ name, version: '1', key: 'validated' })
      .expect(200);
    await setAlias(name, 'champion', '1');
    await setAlias(name, 'champion', '2');
    await t.http.delete(`${api}/registered-models/alias`).send({ name, alias: 'champion' }).expect(200);
    await transition(name, '1', 'production').expect(200);
    await transition(name, '2', 'Production', true).expect(200);
    await t.http.delete(`${api}/model-versions/delete`).send({ name, version: '2' }).expect(200);
    expect(await types(name)).toEqual([
      'model.created',
      'version.created',
      'version.created',
      'tag.set',
      'tag.deleted',
      'tag.set',
      'tag.deleted',
      'alias.set',
      'alias.set',
      'alias.deleted',
      'stage.transitioned',
      'stage.transitioned',
      'stage.transitioned',
      'version.deleted',
    ]);
    const events = (
      await t.http
        .get('/api/events')
        .query({ model: name, type: 'version.created,alias.set,stage.transitioned' })
        .expect(200)
    ).body.events;
    expect(events[0]).toMatchObject({ version: '1', semver: '2.0.0', after: { current_stage: 'None' } });
    expect(events[1]).toMatchObject({ version: '2', semver: '2.0.1' });
    expect(events[3]).toMatchObject({ alias: 'champion', version: '2', before: { version: '1' } });
    // archive_existing_versions: version 2 enters Production, version 1 is archived.
    expect(events.slice(-2)).toMatchObject([
      { version: '2', stage: 'Production', after: { archived_versions: ['1'] } },
      { version: '1', stage: 'Archived', before: { stage: 'Production' } },
    ]);

    await t.http.delete(`${api}/registered-models/delete`).send({ name }).expect(200);
    expect((await types(name)).pop()).toBe('model.deleted');
  });

  it('a failed change records nothing', async () => {
    const name = await createModel(t, uniqueName('ev'));
    await createVersion(t, name, { semver: '1.0.0' });
    await t.http
      .post(`${api}/model-versions/create`)
      .send({ name, source: 'mlflow-artifacts:/0/x', tags: [{ key: 'semver', value: '1.0.0' }] })
      .expect(400);
    expect(await types(name)).toEqual(['model.created', 'version.created']);
  });

  it('transition-stage obeys the stage policy and accepts the policy’s custom stages', async () => {
    const name = await createModel(t, uniqueName('ev'));
    await createVersion(t, name);
    await createVersion(t, name);
    await t.http
      .put('/api/policies')
      .send({
        model: name,
        stages: [{ name: 'shadow' }, { name: 'prod', capacity: 1 }, { name: 'Archived' }],
        transitions: [
          { from: 'None', to: 'shadow' },
          { from: 'shadow', to: 'prod' },
        ],
      })
      .expect(200);
    const skip = await transition(name, '1', 'prod').expect(400);
    expect(skip.body).toMatchObject({ error_code: 'INVALID_STATE' });
    expect(skip.body.message).toContain("rule 'transitions'");
    const staged = await transition(name, '1', 'Shadow').expect(200);
    expect(staged.body.model_version.current_stage).toBe('shadow');
    await transition(name, '1', 'prod').expect(200);
    await transition(name, '2', 'shadow').expect(200);
    const full = await transition(name, '2', 'prod').expect(400);
    expect(full.body.message).toContain("rule 'capacity'");
    // MLflow's archive_existing_versions makes room, as it always did.
    await transition(name, '2', 'prod', true).expect(200);

    // models:/name/prod (get-latest-versions) and models:/name@prod both resolve the custom stage.
    const latest = await t.http
      .post(`${api}/registered-models/get-latest-versions`)
      .send({ name, stages: ['prod'] })
      .expect(200);
    expect(latest.body.model_versions.map((v: { version: string }) => v.version)).toEqual(['2']);
    const alias = await t.http
      .get(`${api}/registered-models/alias`)
      .query({ name, alias: 'prod' })
      .expect(200);
    expect(alias.body.model_version.version).toBe('2');
    const unknown = await transition(name, '1', 'bogus').expect(400);
    expect(unknown.body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('records a model create with its tags and the model’s id, and announces it', async () => {
    const receiver = await startWebhookReceiver();
    try {
      await t.http
        .post(`${api}/webhooks`)
        .send({
          name: 'models',
          url: receiver.url,
          events: [{ entity: 'REGISTERED_MODEL', action: 'CREATED' }],
        })
        .expect(200);
      const name = uniqueName('created');
      const tags = [
        { key: 'team', value: 'risk' },
        { key: 'owner', value: 'ana' },
      ];
      await t.http.post(`${api}/registered-models/create`).send({ name, tags, description: 'd' }).expect(200);
      const [event] = (await t.http.get('/api/events').query({ model: name }).expect(200)).body.events;
      const id = (await t.db('registered_models').where({ name }).first('id')).id;
      expect(event).toMatchObject({
        type: 'model.created',
        registered_model_id: Number(id),
        after: { tags: { team: 'risk', owner: 'ana' }, description: 'd' },
      });
      const worker = new WebhookWorker(t.db, t.config, t.ctx.log);
      while ((await worker.runOnce()) > 0);
      const hits = receiver.received.filter((hit) => hit.json.data.name === name);
      expect(hits.map((hit) => hit.json.data)).toEqual([
        { name, tags: { team: 'risk', owner: 'ana' }, description: 'd' },
      ]);
      // A name taken records and announces nothing more.
      await t.http.post(`${api}/registered-models/create`).send({ name }).expect(400);
      expect((await t.http.get('/api/events').query({ model: name }).expect(200)).body.events).toHaveLength(
        1,
      );
    } finally {
      await receiver.close();
    }
  });

  it('gives a version’s event and webhook payload the number and semver the database allocated', async () => {
    const receiver = await startWebhookReceiver();
    try {
      await t.http
        .post(`${api}/webhooks`)
        .send({
          name: 'numbers',
          url: receiver.url,
          events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }],
        })
        .expect(200);
      const name = await createModel(t, uniqueName('num'));
      const { runId } = await createRun(t);
      // Concurrent creates of one model: each is numbered while the others wait for the model's row.
      const created = await Promise.all(
        ['a', 'b', 'c'].map(async (note) => {
          const res = await t.http
            .post(`${api}/model-versions/create`)
            .send({
              name,
              source: `runs:/${runId}/model`,
              run_id: runId,
              tags: [{ key: 'note', value: note }],
            })
            .expect(200);
          return res.body.model_version;
        }),
      );
      const semverOf = (version: string) => `1.0.${Number(version) - 1}`;
      expect(created.map((v) => v.version).sort()).toEqual(['1', '2', '3']);
      for (const version of created) {
        expect(tagValue(version.tags, 'semver')).toBe(semverOf(version.version));
        const read = await t.http
          .get(`${api}/model-versions/get`)
          .query({ name, version: version.version })
          .expect(200);
        expect(read.body.model_version).toEqual(version);
      }

      const worker = new WebhookWorker(t.db, t.config, t.ctx.log);
      while ((await worker.runOnce()) > 0);
      const hits = receiver.received.filter((hit) => hit.json.data.name === name);
      expect(hits).toHaveLength(3);
      for (const hit of hits) {
        const { version } = hit.json.data;
        const note = tagValue(created.find((v) => v.version === version)?.tags, 'note');
        expect(hit.json.data).toEqual({
          name,
          version,
          source: `runs:/${runId}/model`,
          run_id: runId,
          tags: { semver: semverOf(version), note },
          description: null,
          semver: semverOf(version),
        });
        expect(hit.body).not.toContain('semreg:');
      }

      const events = (
        await t.http.get('/api/events').query({ model: name, type: 'version.created' }).expect(200)
      ).body.events;
      expect(events).toHaveLength(3);
      for (const event of events) {
        expect(event.semver).toBe(semverOf(event.version));
        expect(event.after.tags.semver).toBe(event.semver);
        expect(event.registered_model_id).toEqual(expect.any(Number));
      }
    } finally {
      await receiver.close();
    }
  });

  it('MLflow API changes reach a webhook receiver, signed', async () => {
    const receiver = await startWebhookReceiver();
    try {
      await t.http
        .post(`${api}/webhooks`)
        .send({
          name: 'e2e',
          url: receiver.url,
          secret: 'e2e-secret',
          events: [
            { entity: 'REGISTERED_MODEL', action: 'CREATED' },
            { entity: 'MODEL_VERSION', action: 'CREATED' },
            { entity: 'MODEL_VERSION_ALIAS', action: 'CREATED' },
            { entity: 'MODEL_VERSION_ALIAS', action: 'UPDATED' },
            { entity: 'MODEL_VERSION_STAGE', action: 'UPDATED' },
            { entity: 'MODEL_VERSION', action: 'DELETED' },
          ],
        })
        .expect(200);
      const name = await createModel(t, uniqueName('wh'));
      await createVersion(t, name);
      await createVersion(t, name);
      await setAlias(name, 'champion', '1');
      await setAlias(name, 'champion', '2');
      await transition(name, '2', 'Staging').expect(200);
      await t.http.delete(`${api}/model-versions/delete`).send({ name, version: '1' }).expect(200);
      const worker = new WebhookWorker(t.db, t.config, t.ctx.log);
      while ((await worker.runOnce()) > 0);
      const mine = receiver.received.filter((hit) => hit.json.data.name === name);
      expect(mine.map((hit) => `${hit.json.entity}.${hit.json.action}`)).toEqual(
        expect.arrayContaining([
          'registered_model.created',
          'model_version.created',
          'model_version_alias.created',
          'model_version_alias.updated',
          'model_version_stage.updated',
          'model_version.deleted',
        ]),
      );
      expect(mine).toHaveLength(8);
      expect(mine.every((hit) => verifyMlflowSignature(hit, 'e2e-secret'))).toBe(true);
      const moved = mine.find(
        (hit) => hit.json.entity === 'model_version_alias' && hit.json.action === 'updated',
      );
      expect(moved?.json.data).toEqual({ name, alias: 'champion', version: '2', previous_version: '1' });
      const stage = mine.find((hit) => hit.json.entity === 'model_version_stage');
      expect(stage?.json.data).toMatchObject({
        name,
        version: '2',
        from_stage: 'None',
        to_stage: 'Staging',
        archived_versions: [],
      });
    } finally {
      await receiver.close();
    }
  });
});
