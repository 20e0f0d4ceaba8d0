import { uniqueName } from '../../helpers/mlflow';
import { createTestApp, TestApp } from '../../helpers/test-app';
import { basic, bearer, mintScopeTokens, mintToken } from '../../helpers/tokens';
import { graphql, logRun, LoggedRun, registerFromRun, uiQuery } from './helpers';

/**
 * AUTH=on: GraphQL needs a valid token like every route, a read token is enough (every field reads, the
 * POST included), and a token restricted to model patterns sees only its models' versions — through
 * `mlflowSearchModelVersions` and through `modelVersions` of a run — as on the REST search.
 */
let t: TestApp;
let tokens: { read: string; write: string; admin: string };
let logged: LoggedRun;
let churn: { name: string; version: string };
let other: { name: string; version: string };

const VERSIONS_OF_RUN = `query Q($id: String) {
  mlflowGetRun(input: {runId: $id}) { run { modelVersions { name } } }
  mlflowSearchRuns(input: {experimentIds: ["0"]}) { runs { info { runId } } }
}`;

beforeAll(async () => {
  t = await createTestApp({ AUTH: 'on' });
  tokens = await mintScopeTokens(t);
  const admin = bearer(tokens.admin);
  logged = await logRun(t, admin);
  churn = await registerFromRun(t, logged.runId, uniqueName('churn'), admin);
  other = await registerFromRun(t, logged.runId, uniqueName('fraud'), admin);
});
afterAll(() => t.close());

describe('POST /graphql with AUTH=on', () => {
  it('refuses a request without a token or with an unknown one (401, as every route)', async () => {
    const none = await graphql(t, uiQuery('get-experiment'), { input: { experimentId: '0' } });
    expect(none.status).toBe(401);
    expect(none.body.error_code).toBe('UNAUTHENTICATED');
    expect(none.headers['www-authenticate']).toContain('Basic');
    const unknown = await graphql(
      t,
      uiQuery('get-experiment'),
      { input: { experimentId: '0' } },
      bearer('nope'),
    );
    expect(unknown.status).toBe(401);
    const get = await t.http.get('/graphql').query({ query: '{ test(inputString: "x") { output } }' });
    expect(get.status).toBe(401);
  });

  it('answers a read token (Bearer or Basic password, as the browser sends it), POST and GET', async () => {
    for (const headers of [bearer(tokens.read), basic(tokens.read)]) {
      const res = await graphql(t, uiQuery('get-run'), { data: { runId: logged.runId } }, headers);
      expect(res.status).toBe(200);
      expect(res.body.errors).toBeNull();
      expect(res.body.data.mlflowGetRun.run.info.runUuid).toBe(logged.runId);
    }
    const get = await t.http
      .get('/graphql')
      .set(bearer(tokens.read))
      .query({ query: '{ test(inputString: "x") { output } }' });
    expect(get.body).toEqual({ data: { test: { output: 'x' } }, errors: null });
  });

  it('shows an unrestricted token every version of the run', async () => {
    const res = await graphql(t, VERSIONS_OF_RUN, { id: logged.runId }, bearer(tokens.read));
    const names = res.body.data.mlflowGetRun.run.modelVersions.map((v: { name: string }) => v.name);
    expect(names.sort()).toEqual([churn.name, other.name].sort());
  });

  it('hides other models’ versions from a token restricted to churn-*', async () => {
    const restricted = bearer(await mintToken(t, 'write', { models: ['churn-*'] }));
    const run = await graphql(t, VERSIONS_OF_RUN, { id: logged.runId }, restricted);
    expect(run.body.errors).toBeNull();
    expect(run.body.data.mlflowGetRun.run.modelVersions).toEqual([{ name: churn.name }]);

    const searchRuns = await graphql(
      t,
      uiQuery('search-runs'),
      { data: { experimentIds: [logged.experimentId] } },
      restricted,
    );
    expect(searchRuns.body.data.mlflowSearchRuns.runs[0].modelVersions).toEqual([
      expect.objectContaining({ name: churn.name }),
    ]);

    const search = await graphql(
      t,
      `query { mlflowSearchModelVersions(input: {filter: "run_id='${logged.runId}'"}) { modelVersions { name } } }`,
      {},
      restricted,
    );
    expect(search.body.data.mlflowSearchModelVersions.modelVersions).toEqual([{ name: churn.name }]);
    const byName = await graphql(
      t,
      `query { mlflowSearchModelVersions(input: {filter: "name='${other.name}'"}) { modelVersions { name } } }`,
      {},
      restricted,
    );
    expect(byName.body.data.mlflowSearchModelVersions.modelVersions).toEqual([]);
  });

  it('lets a model-restricted token read runs, metrics and artifacts, as REST reads do', async () => {
    const restricted = bearer(await mintToken(t, 'read', { models: ['churn-*'] }));
    const res = await graphql(
      t,
      uiQuery('get-metric-history-bulk-interval'),
      { data: { runIds: [logged.runId], metricKey: 'loss' } },
      restricted,
    );
    expect(res.body.errors).toBeNull();
    expect(res.body.data.mlflowGetMetricHistoryBulkInterval.metrics).toHaveLength(5);
  });
});
