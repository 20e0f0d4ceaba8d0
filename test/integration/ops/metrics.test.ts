import fs from 'node:fs';
import path from 'node:path';
import { createModel, createVersion, putArtifacts, uniqueName } from '../../helpers/mlflow';
import { createTestApp, TestApp } from '../../helpers/test-app';
import { bearer, mintScopeTokens } from '../../helpers/tokens';

/**
 * Issue 16, "metrics and health": `/metrics` in Prometheus' text format and `/ready`, on the real app and
 * database. Figures are compared before and after the requests a test makes, so other files' traffic (each
 * test file has its own app) cannot disturb them.
 */

/** The value of one sample (`name{labels} value`), 0 when the series does not exist yet. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe('GET /metrics', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ MAX_ARTIFACT_BYTES: String(64 * 1024) });
  });
  afterAll(() => t.close());

  const scrape = async () => {
    const res = await t.http.get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return res.text;
  };

  it('counts requests by route template and status class, never by raw path', async () => {
    const name = await createModel(t, uniqueName('metrics'));
    const get = `semreg_http_requests_total{method="GET",route="/api/2.0/mlflow/registered-models/get",status_class="2xx"}`;
    const missing = `semreg_http_requests_total{method="GET",route="/api/2.0/mlflow/registered-models/get",status_class="4xx"}`;
    const unmatched = `semreg_http_requests_total{method="GET",route="unmatched",status_class="4xx"}`;
    const before = await scrape();
    await t.http.get(`/api/2.0/mlflow/registered-models/get?name=${name}`).expect(200);
    await t.http.get(`/api/2.0/mlflow/registered-models/get?name=${name}`).expect(200);
    await t.http.get('/api/2.0/mlflow/registered-models/get?name=no-such-model').expect(404);
    await t.http.get(`/no/such/path/${name}`).expect(404);
    const after = await scrape();
    expect(sample(after, get) - sample(before, get)).toBe(2);
    expect(sample(after, missing) - sample(before, missing)).toBe(1);
    expect(sample(after, unmatched) - sample(before, unmatched)).toBe(1);
    expect(after).not.toContain(name);
    expect(after).toMatch(
      /semreg_http_request_duration_seconds_bucket\{le="0\.001",method="GET",route="\/api\/2\.0\/mlflow\/registered-models\/get",status_class="2xx"\}/,
    );
    expect(after).toMatch(/^semreg_http_requests_in_flight 1$/m); // the scrape itself
  });

  it('counts uploads that stored nothing by family and cause', async () => {
    const mismatch = 'semreg_upload_failures_total{family="packages",cause="checksum_mismatch"}';
    const tooLarge = 'semreg_upload_failures_total{family="artifacts",cause="too_large"}';
    const before = await scrape();
    await t.http
      .put(`/api/packages/${uniqueName('metrics-pkg')}/1.0.0/model.bin`)
      .set({ 'Content-Type': 'application/octet-stream', 'X-Checksum-Sha256': 'a'.repeat(64) })
      .send(Buffer.from('bytes'))
      .expect(400);
    await t.http
      .put('/api/2.0/mlflow-artifacts/artifacts/0/metrics-run/artifacts/huge.bin')
      .set({ 'Content-Type': 'application/octet-stream' })
      .send(Buffer.alloc(64 * 1024 + 1))
      .expect(413);
    const after = await scrape();
    expect(sample(after, mismatch) - sample(before, mismatch)).toBe(1);
    expect(sample(after, tooLarge) - sample(before, tooLarge)).toBe(1);
  });

  it('counts artifact bytes by route family and direction, with the route template as label', async () => {
    const body = Buffer.alloc(12_345, 7);
    const up = 'semreg_transferred_bytes_total{family="artifacts",direction="upload"}';
    const down = 'semreg_transferred_bytes_total{family="artifacts",direction="download"}';
    const before = await scrape();
    await putArtifacts(t, '0/metrics-run/artifacts', { 'secret-file-name.bin': body });
    await t.http
      .get('/api/2.0/mlflow-artifacts/artifacts/0/metrics-run/artifacts/secret-file-name.bin')
      .expect(200);
    const after = await scrape();
    expect(sample(after, up) - sample(before, up)).toBe(body.length);
    expect(sample(after, down) - sample(before, down)).toBe(body.length);
    expect(after).not.toContain('secret-file-name');
    expect(after).toContain('route="/api/2.0/mlflow-artifacts/artifacts/*path"');
  });

  it('counts committed version creates, reports the pool and query durations', async () => {
    const name = await createModel(t, uniqueName('metrics-versions'));
    const creates = 'semreg_model_versions_created_total';
    const queries = 'semreg_db_query_duration_seconds_count{outcome="ok"}';
    const before = await scrape();
    await createVersion(t, name);
    await createVersion(t, name, { semver: '3.0.0' });
    await t.http
      .post('/api/2.0/mlflow/model-versions/create')
      .send({ name, source: 'mlflow-artifacts:/0/x', tags: [{ key: 'semver', value: '3.0.0' }] })
      .expect(400); // a refused create is not counted
    const after = await scrape();
    expect(sample(after, creates) - sample(before, creates)).toBe(2);
    expect(sample(after, queries)).toBeGreaterThan(sample(before, queries));
    for (const state of ['used', 'idle', 'waiting']) {
      expect(after).toMatch(new RegExp(`^semreg_db_pool_connections\\{state="${state}"\\} \\d+$`, 'm'));
    }
  });

  it('reads the webhook outbox and the event log from the database', async () => {
    const [{ n: pending }] = await t
      .db('webhook_deliveries')
      .whereIn('status', ['pending', 'failed'])
      .count({ n: '*' });
    const [{ id: lastEvent }] = await t.db('events').max({ id: 'id' });
    const text = await scrape();
    expect(sample(text, 'semreg_webhook_outbox_pending')).toBe(Number(pending));
    expect(sample(text, 'semreg_events_last_id')).toBe(Number(lastEvent ?? 0));
    expect(text).toMatch(/^semreg_webhook_dead_letters \d+$/m);
    expect(text).toMatch(/^semreg_webhook_oldest_pending_age_seconds [\d.]+$/m);
  });
});

describe('ops/grafana-dashboard.json', () => {
  it('queries only series that /metrics exposes', async () => {
    const t = await createTestApp();
    try {
      const exposed = new Set(
        [...(await t.http.get('/metrics').expect(200)).text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]),
      );
      const dashboard = fs.readFileSync(
        path.resolve(__dirname, '../../../ops/grafana-dashboard.json'),
        'utf8',
      );
      const queried = [...dashboard.matchAll(/semreg_[a-z_]+/g)].map((m) =>
        m[0].replace(/_(bucket|count|sum)$/, ''),
      );
      expect(queried.length).toBeGreaterThan(10);
      expect(queried.filter((name) => !exposed.has(name))).toEqual([]);
    } finally {
      await t.close();
    }
  });
});

describe('GET /ready', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('answers 200 when the database, the schema and the artifact store are ready', async () => {
    const res = await t.http.get('/ready').expect(200);
    expect(res.body).toEqual({
      status: 'ready',
      checks: { database: 'ok', migrations: 'ok', artifact_store: 'ok' },
    });
  });

  it('answers 503 naming the migrations when the schema is behind this code', async () => {
    const [last] = await t.db('knex_migrations').orderBy('id', 'desc').limit(1);
    await t.db('knex_migrations').where({ id: last.id }).delete();
    try {
      const res = await t.http.get('/ready').expect(503);
      expect(res.body).toEqual({
        status: 'unavailable',
        checks: { database: 'ok', migrations: 'failing', artifact_store: 'ok' },
      });
    } finally {
      await t.db('knex_migrations').insert(last);
    }
    await t.http.get('/ready').expect(200);
  });

  it('answers 503 naming the artifact store when its directory is gone, and says nothing more', async () => {
    const root = t.config.artifactRoot;
    const moved = `${root}.away`;
    fs.renameSync(root, moved);
    try {
      const res = await t.http.get('/ready').expect(503);
      expect(res.body.checks).toEqual({ database: 'ok', migrations: 'ok', artifact_store: 'failing' });
      expect(res.text).not.toContain(path.basename(root));
    } finally {
      fs.renameSync(moved, root);
    }
    await t.http.get('/ready').expect(200);
  });
});

describe('/metrics and /ready with AUTH=on', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ AUTH: 'on' });
  });
  afterAll(() => t.close());

  it('/metrics needs a token (any scope); /ready stays open like /health', async () => {
    const { read } = await mintScopeTokens(t);
    await t.http.get('/metrics').expect(401);
    await t.http.get('/metrics').set(bearer(read)).expect(200);
    await t.http.get('/ready').expect(200);
  });
});

describe('METRICS_PORT', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ METRICS_PORT: '9464' });
  });
  afterAll(() => t.close());

  it('moves /metrics off the main port', async () => {
    const res = await t.http.get('/metrics').expect(404);
    expect(res.body.error_code).toBe('ENDPOINT_NOT_FOUND');
  });
});
