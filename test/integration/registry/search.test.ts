import { createTestApp, TestApp } from '../../helpers/test-app';
import { createModel, createVersion, uniqueName } from '../../helpers/mlflow';

const API = '/api/2.0/mlflow';

describe('GET registered-models/search', () => {
  let t: TestApp;
  const prefix = uniqueName('search');
  beforeAll(async () => {
    t = await createTestApp();
    for (const suffix of ['a', 'b', 'c']) await createModel(t, `${prefix}-${suffix}`);
    await t.http
      .post(`${API}/registered-models/set-tag`)
      .send({ name: `${prefix}-b`, key: 'team', value: 'growth' })
      .expect(200);
    await t.http
      .post(`${API}/registered-models/set-tag`)
      .send({ name: `${prefix}-c`, key: 'mlflow.prompt.is_prompt', value: 'true' })
      .expect(200);
  });
  afterAll(() => t.close());

  const search = (query: Record<string, unknown>) =>
    t.http.get(`${API}/registered-models/search`).query(query);
  const names = (res: { body: any }) => (res.body.registered_models ?? []).map((m: any) => m.name);

  it('handles the filter the MLflow 3 client always adds: models without the prompt tag match', async () => {
    const res = await search({
      filter: `name LIKE '${prefix}-%' AND tag.\`mlflow.prompt.is_prompt\` != 'true'`,
    }).expect(200);
    expect(names(res)).toEqual([`${prefix}-a`, `${prefix}-b`]);
  });

  it('hides prompts unless the filter asks for them', async () => {
    expect(names(await search({ filter: `name LIKE '${prefix}%'` }).expect(200))).toEqual([
      `${prefix}-a`,
      `${prefix}-b`,
    ]);
    expect(
      names(
        await search({
          filter: `tags.\`mlflow.prompt.is_prompt\` = 'true' AND name ILIKE '${prefix.toUpperCase()}%'`,
        }).expect(200),
      ),
    ).toEqual([`${prefix}-c`]);
  });

  it('filters on tags with = and IS NULL, orders and paginates', async () => {
    expect(names(await search({ filter: "tags.team = 'growth'" }).expect(200))).toEqual([`${prefix}-b`]);
    const desc = await search({ filter: `name LIKE '${prefix}%'`, order_by: 'name DESC' }).expect(200);
    expect(names(desc)).toEqual([`${prefix}-b`, `${prefix}-a`]);
    const first = await search({ filter: `name LIKE '${prefix}%'`, max_results: 1 }).expect(200);
    expect(names(first)).toEqual([`${prefix}-a`]);
    const second = await search({
      filter: `name LIKE '${prefix}%'`,
      max_results: 1,
      page_token: first.body.next_page_token,
    }).expect(200);
    expect(names(second)).toEqual([`${prefix}-b`]);
    expect(second.body.next_page_token).toBeUndefined();
  });

  it.each([
    [{ filter: "name = 'a' OR name = 'b'" }],
    [{ filter: "run_id = 'x'" }],
    [{ order_by: 'nonsense' }],
    [{ order_by: ['name', 'name DESC'] }],
    [{ max_results: 1001 }],
    [{ max_results: 'ten' }],
    [{ page_token: 'not-base64-json' }],
  ])('refuses %j with 400 INVALID_PARAMETER_VALUE', async (query) => {
    const res = await search(query).expect(400);
    expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });
});

describe('GET model-versions/search', () => {
  let t: TestApp;
  let name: string;
  beforeAll(async () => {
    t = await createTestApp();
    name = await createModel(t);
    await createVersion(t, name, { semver: '1.2.0', stage: 'x' });
    await createVersion(t, name, { semver: '1.10.0' });
    await createVersion(t, name, { semver: '2.0.0-rc.1' });
  });
  afterAll(() => t.close());

  const versions = async (query: Record<string, unknown>) => {
    const res = await t.http.get(`${API}/model-versions/search`).query(query).expect(200);
    return (res.body.model_versions ?? []).map((v: any) => v.version);
  };

  it('filters by tag.semver, version_number and source_path', async () => {
    expect(await versions({ filter: `name='${name}' and tag.semver='1.2.0'` })).toEqual(['1']);
    expect(
      await versions({ filter: `name='${name}' and version_number >= 2`, order_by: 'version_number ASC' }),
    ).toEqual(['2', '3']);
    expect(
      await versions({ filter: `name='${name}' and source_path LIKE 'mlflow-artifacts:%'` }),
    ).toHaveLength(3);
  });

  it('orders by semver precedence with the semreg extension, by default newest first', async () => {
    expect(await versions({ filter: `name='${name}'`, order_by: 'semver DESC' })).toEqual(['3', '2', '1']);
    expect(await versions({ filter: `name='${name}'` })).toEqual(['3', '2', '1']);
  });

  it('accepts IN for run_id and fills aliases in search results', async () => {
    await t.http
      .post(`${API}/registered-models/alias`)
      .send({ name, alias: 'champion', version: '2' })
      .expect(200);
    const res = await t.http
      .get(`${API}/model-versions/search`)
      .query({ filter: `name='${name}' and version_number=2` })
      .expect(200);
    expect(res.body.model_versions[0].aliases).toEqual(['champion']);
    expect(await versions({ filter: "run_id IN ('r1', 'r2')" })).toEqual([]);
  });

  it('refuses unsupported filters and a max_results over the cap', async () => {
    await t.http.get(`${API}/model-versions/search`).query({ filter: 'metrics.x > 1' }).expect(400);
    await t.http.get(`${API}/model-versions/search`).query({ max_results: 200001 }).expect(400);
  });

  it('refuses a LIKE pattern ending in a backslash with 400, on models, versions and tags alike', async () => {
    // The filter text `'\\'` is one backslash once unquoted, which PostgreSQL refuses as a pattern (but only
    // once a row reaches the comparison: refused up front, the answer does not depend on the rows).
    for (const [endpoint, filter] of [
      ['registered-models/search', "name LIKE '%\\\\'"],
      ['registered-models/search', "tags.team ILIKE '\\\\'"],
      ['model-versions/search', "name LIKE '\\\\'"],
    ]) {
      const res = await t.http.get(`${API}/${endpoint}`).query({ filter }).expect(400);
      expect(res.body).toEqual({
        error_code: 'INVALID_PARAMETER_VALUE',
        message: 'A LIKE or ILIKE pattern must not end with an unescaped backslash.',
      });
    }
  });

  it('refuses a filter of more than 50 clauses before it reaches the database', async () => {
    const clauses = (n: number) => Array.from({ length: n }, (_, i) => `tags.k${i} = 'x'`).join(' AND ');
    const search = (filter: string) => t.http.get(`${API}/registered-models/search`).query({ filter });
    await search(clauses(50)).expect(200);
    const res = await search(clauses(51)).expect(400);
    expect(res.body).toEqual({
      error_code: 'INVALID_PARAMETER_VALUE',
      message: 'Filter has more than 50 clauses joined by AND.',
    });
  });
});
