import crypto from 'node:crypto';
import { createToken } from '../../../src/auth/tokens';
import { createTestApp, TestApp } from '../../helpers/test-app';
import { putArtifacts, uniqueName } from '../../helpers/mlflow';

/** The lifecycle endpoints with AUTH=on: who may call what, and who the history says did it. */
describe('lifecycle endpoints with AUTH=on', () => {
  let t: TestApp;
  let admin: { secret: string; id: string };
  let writer: { secret: string; id: string };
  let reader: { secret: string; id: string };

  beforeAll(async () => {
    t = await createTestApp({ AUTH: 'on', WEBHOOK_ALLOW_PRIVATE: 'true' });
    const mint = async (scope: string) => {
      const { secret, token } = await createToken(t.db, { scope, models: [] } as never);
      return { secret, id: String(token.id) };
    };
    admin = await mint('admin');
    writer = await mint('write');
    reader = await mint('read');
  });
  afterAll(async () => {
    await t.close();
  });

  const as = (token: { secret: string }) => ({ Authorization: `Bearer ${token.secret}` });

  it('webhooks and policies need an admin token', async () => {
    const body = {
      name: 'h',
      url: 'http://127.0.0.1:9/',
      events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }],
    };
    await t.http.post('/api/2.0/mlflow/webhooks').send(body).expect(401);
    await t.http.post('/api/2.0/mlflow/webhooks').set(as(writer)).send(body).expect(403);
    await t.http.get('/api/2.0/mlflow/webhooks').set(as(reader)).expect(403);
    await t.http.post('/api/2.0/mlflow/webhooks').set(as(admin)).send(body).expect(200);
    const policy = { stages: [{ name: 'None' }], transitions: [] };
    await t.http.put('/api/policies').set(as(writer)).send(policy).expect(403);
    await t.http.get('/api/policies').set(as(reader)).expect(403);
  });

  it('records the token that made a change as the event actor; readers may read the history but not promote', async () => {
    const name = uniqueName('auth');
    await t.http.post('/api/2.0/mlflow/registered-models/create').set(as(writer)).send({ name }).expect(200);
    await t.http
      .post('/api/2.0/mlflow/model-versions/create')
      .set(as(writer))
      .send({ name, source: 'mlflow-artifacts:/0/models/m-0123456789abcdef0123456789abcdef/artifacts' })
      .expect(200);
    await t.http
      .post(`/api/models/${name}/promote`)
      .set(as(reader))
      .send({ stage: 'Staging', version: '1' })
      .expect(403);
    await t.http
      .post(`/api/models/${name}/promote`)
      .set(as(writer))
      .send({ stage: 'Staging', version: '1' })
      .expect(200);
    const res = await t.http
      .get('/api/events')
      .set(as(reader))
      .query({ model: name, type: 'stage.transitioned' })
      .expect(200);
    expect(res.body.events).toHaveLength(1);
    expect(res.body.events[0].actor).toBe(writer.id);
  });

  it('records the token and CI job of a package upload on the version it creates, raw or multipart', async () => {
    const name = uniqueName('pkg');
    await t.http.post('/api/2.0/mlflow/registered-models/create').set(as(writer)).send({ name }).expect(200);
    await t.http
      .put(`/api/packages/${name}/1.0.0/model.bin`)
      .set({ ...as(writer), 'X-CI-Job-Id': 'raw-job' })
      .send(Buffer.from('raw'))
      .expect(201);
    await t.http
      .post(`/api/packages/${name}/1.1.0`)
      .set({ ...as(writer), 'X-CI-Job-Id': 'form-job' })
      .attach('file', Buffer.from('form'), 'model.bin')
      .expect(201);
    const res = await t.http
      .get('/api/events')
      .set(as(reader))
      .query({ model: name, type: 'version.created' })
      .expect(200);
    expect(
      res.body.events.map((e: { semver: string; actor: string; ci_job_id: string }) => [
        e.semver,
        e.actor,
        e.ci_job_id,
      ]),
    ).toEqual([
      ['1.0.0', writer.id, 'raw-job'],
      ['1.1.0', writer.id, 'form-job'],
    ]);
  });

  it('a token restricted to one model reads only that model’s events, in either order', async () => {
    const mine = uniqueName('mine');
    const theirs = uniqueName('theirs');
    for (const name of [mine, theirs])
      await t.http.post('/api/2.0/mlflow/registered-models/create').set(as(admin)).send({ name }).expect(200);
    const { secret } = await createToken(t.db, { scope: 'read', models: [mine] } as never);
    const models = async (query: Record<string, string>) => {
      const res = await t.http.get('/api/events').set(as({ secret })).query(query).expect(200);
      return [...new Set(res.body.events.map((e: { model: string }) => e.model))];
    };
    for (const order of ['asc', 'desc']) {
      expect(await models({ order, max_results: '1000' })).toEqual([mine]);
      expect(await models({ order, model: theirs })).toEqual([]);
    }
  });

  it('honours X-Semreg-Replay-Time only for admin tokens', async () => {
    const name = uniqueName('replay');
    await t.http.post('/api/2.0/mlflow/registered-models/create').set(as(admin)).send({ name }).expect(200);
    await t.http
      .post('/api/2.0/mlflow/model-versions/create')
      .set(as(admin))
      .send({ name, source: 'mlflow-artifacts:/0/models/m-0123456789abcdef0123456789abcdef/artifacts' })
      .expect(200);
    const past = Date.parse('2020-01-01T00:00:00Z');
    await t.http
      .post(`/api/models/${name}/promote`)
      .set(as(writer))
      .set('X-Semreg-Replay-Time', String(past))
      .send({ alias: 'a', version: '1' })
      .expect(200);
    await t.http
      .post(`/api/models/${name}/promote`)
      .set(as(admin))
      .set('X-Semreg-Replay-Time', String(past))
      .send({ alias: 'b', version: '1' })
      .expect(200);
    const res = await t.http
      .get('/api/events')
      .set(as(admin))
      .query({ model: name, type: 'alias.set' })
      .expect(200);
    const byAlias = Object.fromEntries(
      res.body.events.map((e: { alias: string; time: number }) => [e.alias, e.time]),
    );
    expect(byAlias.a).toBeGreaterThan(past);
    expect(byAlias.b).toBe(past);
  });

  it('download-uris needs a token; the signed links it hands out work without one', async () => {
    const name = uniqueName('signed');
    const modelId = `m-${crypto.randomBytes(16).toString('hex')}`;
    const source = await putArtifacts(
      t,
      `0/models/${modelId}/artifacts`,
      { MLmodel: 'flavors: {}\n' },
      as(writer),
    );
    await t.http.post('/api/2.0/mlflow/registered-models/create').set(as(writer)).send({ name }).expect(200);
    await t.http
      .post('/api/2.0/mlflow/model-versions/create')
      .set(as(writer))
      .send({ name, source })
      .expect(200);
    await t.http.get(`/api/models/${name}/download-uris`).expect(401);
    const links = await t.http.get(`/api/models/${name}/download-uris`).set(as(reader)).expect(200);
    const url = new URL(links.body.MLmodel);
    const file = await t.http.get(url.pathname + url.search).expect(200);
    expect(file.text ?? file.body.toString()).toContain('flavors');
    await t.http.get(url.pathname + url.search.replace(/signature=[^&]+/, 'signature=x')).expect(403);
  });
});
