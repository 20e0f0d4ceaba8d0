import { createTestApp, TestApp } from '../../helpers/test-app';
import { createModel, createVersion, uniqueName } from '../../helpers/mlflow';

/** The lifecycle history: GET /api/events and GET /api/models/<name>/at. */
describe('lifecycle history', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  async function modelWithVersions(count: number): Promise<string> {
    const name = await createModel(t, uniqueName('hist'));
    for (let i = 0; i < count; i += 1) await createVersion(t, name);
    return name;
  }
  const promote = (name: string, body: Record<string, unknown>) =>
    t.http.post(`/api/models/${name}/promote`).send(body).expect(200);

  it('lists a model’s events oldest first with actor, before/after and the CI job', async () => {
    const name = await modelWithVersions(2);
    await t.http
      .post(`/api/models/${name}/promote`)
      .set('X-CI-Job-Id', 'job-77')
      .send({ stage: 'Staging', version: '1' })
      .expect(200);
    await promote(name, { alias: 'champion', version: '1' });
    await promote(name, { alias: 'champion', version: '2' });
    const res = await t.http
      .get('/api/events')
      .query({ model: name, type: 'stage.transitioned,alias.set' })
      .expect(200);
    expect(res.body.events.map((e: { type: string }) => e.type)).toEqual([
      'stage.transitioned',
      'alias.set',
      'alias.set',
    ]);
    expect(res.body.events[0]).toMatchObject({
      model: name,
      version: '1',
      semver: '1.0.0',
      stage: 'Staging',
      before: { stage: 'None' },
      after: { stage: 'Staging' },
      ci_job_id: 'job-77',
      actor: null,
    });
    expect(res.body.events[2]).toMatchObject({ alias: 'champion', version: '2', before: { version: '1' } });
  });

  it('pages with max_results and page_token, and filters by time', async () => {
    const name = await modelWithVersions(3);
    for (const version of ['1', '2', '3']) await promote(name, { alias: 'a', version });
    const first = await t.http.get('/api/events').query({ model: name, max_results: 2 }).expect(200);
    expect(first.body.events).toHaveLength(2);
    const second = await t.http
      .get('/api/events')
      .query({ model: name, max_results: 2, page_token: first.body.next_page_token })
      .expect(200);
    expect(second.body.events.length).toBeGreaterThanOrEqual(1);
    expect(second.body.events[0].id).toBeGreaterThan(first.body.events[1].id);
    const all = [...first.body.events, ...second.body.events];
    const middle = all[1].time;
    const since = await t.http
      .get('/api/events')
      .query({ model: name, since: new Date(middle).toISOString() })
      .expect(200);
    expect(since.body.events.every((e: { time: number }) => e.time >= middle)).toBe(true);
    const until = await t.http
      .get('/api/events')
      .query({ model: name, until: String(middle - 1) })
      .expect(200);
    expect(until.body.events.every((e: { time: number }) => e.time < middle)).toBe(true);
    // A token is bound to its query.
    await t.http
      .get('/api/events')
      .query({ model: 'other', page_token: first.body.next_page_token })
      .expect(400);
  });

  it("pages newest first with order=desc, every event once, and keeps each order's tokens apart", async () => {
    const name = await modelWithVersions(3);
    for (const version of ['1', '2', '3']) await promote(name, { alias: 'a', version });
    const ids = async (order?: string) => {
      const seen: number[] = [];
      let token: string | undefined;
      do {
        const page = await t.http
          .get('/api/events')
          .query({
            model: name,
            max_results: 2,
            ...(order ? { order } : {}),
            ...(token ? { page_token: token } : {}),
          })
          .expect(200);
        seen.push(...page.body.events.map((e: { id: number }) => e.id));
        token = page.body.next_page_token;
      } while (token);
      return seen;
    };
    const oldestFirst = await ids();
    expect(oldestFirst).toHaveLength(7); // the model, 3 versions, 3 alias moves
    expect(await ids('desc')).toEqual([...oldestFirst].reverse());
    expect(await ids('asc')).toEqual(oldestFirst);
    const first = await t.http.get('/api/events').query({ model: name, max_results: 2 }).expect(200);
    const crossed = await t.http
      .get('/api/events')
      .query({ model: name, max_results: 2, order: 'desc', page_token: first.body.next_page_token })
      .expect(400);
    expect(crossed.body.message).toContain('different search');
  });

  it.each([
    [{ order: 'newest' }, 'order'],
    [{ type: 'nope' }, 'Unknown event type'],
    [{ since: 'yesterday' }, "parameter 'since'"],
    [{ until: '2024-01-01T00:00:00' }, "parameter 'until'"],
    [{ max_results: '0' }, 'max_results'],
    [{ max_results: '5000' }, 'max_results'],
  ])('refuses %j with 400', async (query, message) => {
    const res = await t.http.get('/api/events').query(query).expect(400);
    expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(res.body.message).toContain(message);
  });

  it('is append-only: the database refuses to change or delete an event', async () => {
    const name = await modelWithVersions(1);
    await promote(name, { stage: 'Staging', version: '1' });
    await expect(t.db('events').update({ type: 'forged' })).rejects.toThrow(/append-only/);
    await expect(t.db('events').delete()).rejects.toThrow(/append-only/);
    await expect(t.db.raw('TRUNCATE events CASCADE')).rejects.toThrow(/append-only/);
  });

  it('GET /api/models/<name>/at answers which version held each stage and alias at an instant', async () => {
    const name = await modelWithVersions(2);
    await promote(name, { stage: 'Production', version: '1' });
    await promote(name, { alias: 'champion', version: '1' });
    const between = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await promote(name, { stage: 'Staging', version: '2' });
    await promote(name, { stage: 'Production', version: '2' });
    await promote(name, { stage: 'Archived', version: '1' });
    await promote(name, { alias: 'champion', version: '2' });

    const then = await t.http
      .get(`/api/models/${name}/at`)
      .query({ time: String(between) })
      .expect(200);
    expect(then.body).toMatchObject({
      time: between,
      stages: { Production: '1', Staging: null, Archived: null },
      aliases: { champion: '1' },
    });
    const now = await t.http
      .get(`/api/models/${name}/at`)
      .query({ time: new Date().toISOString() })
      .expect(200);
    expect(now.body).toMatchObject({
      stages: { Production: '2', Staging: null, Archived: '1' },
      aliases: { champion: '2' },
    });
    expect(now.body.stage_versions.Production).toEqual(['2']);
  });

  it('404s for a model with no history, 400 for a bad time', async () => {
    await t.http.get('/api/models/never-existed-x/at').query({ time: '2024-01-01T00:00:00Z' }).expect(404);
    const name = await modelWithVersions(1);
    await t.http.get(`/api/models/${name}/at`).query({ time: 'soon' }).expect(400);
    await t.http.get(`/api/models/${name}/at`).expect(400);
  });
});
