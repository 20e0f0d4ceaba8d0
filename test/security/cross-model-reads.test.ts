import { bytesOrJson } from '../helpers/bodies';
import type { Response } from 'supertest';
import { matchesModelPattern } from '../../src/auth/model-pattern';
import { MLFLOW_PREFIXES, putArtifacts, uniqueName } from '../helpers/mlflow';
import { createTestApp, TestApp } from '../helpers/test-app';
import { bearer, mintToken } from '../helpers/tokens';
import { expectMlflowError } from './support';

/**
 * Issue 17 items 5 and 7: with AUTH=on, a token restricted to `churn-*` reads nothing of another model —
 * not its history, not its past state, not its files through a churn version whose `source` points at them
 * (created by an admin, or a legacy row from before source validation), not its package folder through the
 * artifact proxy or a listing of package storage. Model patterns also stay linear when applied in SQL.
 */
const ARTIFACT_PREFIXES = ['/api/2.0/mlflow-artifacts', '/ajax-api/2.0/mlflow-artifacts'] as const;
const VICTIM_BYTES = 'fraud-model-weights: do not leak to the churn team';
const CHURN = 'churn-*';

let t: TestApp;
let admin: string;
let reader: string;
let churnRead: string;
let churnWrite: string;
let victim: string;
let victimId: number;
let churn: string;

const modelId = async (name: string): Promise<number> =>
  Number((await t.db('registered_models').where({ name }).first('id')).id);

/** A GET with a token; a file's body is kept as bytes whatever its content type, an error's is parsed. */
const get = (path: string, token: string) =>
  t.http.get(path).set(bearer(token)).buffer(true).parse(bytesOrJson);

/** A JSON GET with a token. */
const getJson = (path: string, token: string, query: Record<string, string> = {}) =>
  t.http.get(path).set(bearer(token)).query(query);

function expectDenied(res: Response): void {
  expectMlflowError(res, 403, 'PERMISSION_DENIED');
  expect(JSON.stringify(res.body)).not.toContain(VICTIM_BYTES);
}

function expectVictimBytes(res: Response): void {
  expect({ status: res.status, text: (res.body as Buffer).toString() }).toEqual({
    status: 200,
    text: VICTIM_BYTES,
  });
}

beforeAll(async () => {
  t = await createTestApp({ AUTH: 'on' });
  [admin, reader, churnRead, churnWrite] = await Promise.all([
    mintToken(t, 'admin'),
    mintToken(t, 'read'),
    mintToken(t, 'read', { models: [CHURN] }),
    mintToken(t, 'write', { models: [CHURN] }),
  ]);

  victim = uniqueName('fraud');
  await t.http
    .put(`/api/packages/${victim}/1.0.0/model.bin`)
    .set(bearer(admin))
    .set('Content-Type', 'application/octet-stream')
    .send(Buffer.from(VICTIM_BYTES))
    .expect(201);
  victimId = await modelId(victim);

  churn = uniqueName('churn');
  await t.http
    .post('/api/2.0/mlflow/registered-models/create')
    .set(bearer(churnWrite))
    .send({ name: churn })
    .expect(200);
  await t.http
    .post('/api/2.0/mlflow/model-versions/create')
    .set(bearer(churnWrite))
    .send({ name: churn, source: 'mlflow-artifacts:/0/models/m-0123456789abcdef0123456789abcdef/artifacts' })
    .expect(200);
});

afterAll(async () => {
  await t.close();
});

describe('GET /api/events with a token restricted to churn-*', () => {
  interface Event {
    model: string;
    registered_model_id: number | null;
    type: string;
  }

  async function events(token: string, query: Record<string, string> = {}): Promise<Event[]> {
    const res = await getJson('/api/events', token, { max_results: '1000', ...query });
    expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: expect.anything() });
    expect(res.body.next_page_token).toBeUndefined();
    return res.body.events as Event[];
  }

  const of = (list: Event[], name: string, id: number) =>
    list.filter((event) => event.model === name || Number(event.registered_model_id) === id);

  it("lists the churn model's events and no event of another model", async () => {
    const list = await events(churnRead);
    expect(of(list, churn, await modelId(churn)).map((e) => e.type)).toEqual(
      expect.arrayContaining(['model.created', 'version.created']),
    );
    expect(of(list, victim, victimId)).toEqual([]);
    expect(list.filter((event) => !matchesModelPattern(CHURN, event.model))).toEqual([]);
  });

  it('answers ?model=<another model> with no event of it', async () => {
    expect(await events(churnRead, { model: victim })).toEqual([]);
    expect(await events(churnRead, { model: victim, type: 'package.file_added' })).toEqual([]);
  });

  it('answers ?model=<a churn model> with its events', async () => {
    const list = await events(churnRead, { model: churn });
    expect(list.length).toBeGreaterThanOrEqual(2);
    expect(list.every((event) => event.model === churn)).toBe(true);
  });

  it('shows an unrestricted read token the events of both models', async () => {
    const list = await events(reader);
    expect(of(list, victim, victimId).map((e) => e.type)).toEqual(
      expect.arrayContaining(['model.created', 'version.created', 'package.file_added']),
    );
    expect(of(list, churn, await modelId(churn)).length).toBeGreaterThanOrEqual(2);
    expect((await events(reader, { model: victim })).length).toBeGreaterThanOrEqual(3);
  });

  it("shows a model's earlier events once an admin renames it into the pattern", async () => {
    const before = uniqueName('fraud-x');
    const after = before.replace(/^fraud-x/, 'churn-x');
    await t.http
      .post('/api/2.0/mlflow/registered-models/create')
      .set(bearer(admin))
      .send({ name: before })
      .expect(200);
    await t.http
      .post('/api/2.0/mlflow/model-versions/create')
      .set(bearer(admin))
      .send({
        name: before,
        source: 'mlflow-artifacts:/0/models/m-0123456789abcdef0123456789abcdef/artifacts',
      })
      .expect(200);
    const id = await modelId(before);
    expect(of(await events(churnRead), before, id)).toEqual([]);
    expect(await events(churnRead, { model: before })).toEqual([]);

    await t.http
      .post('/api/2.0/mlflow/registered-models/rename')
      .set(bearer(admin))
      .send({ name: before, new_name: after })
      .expect(200);

    const seen = of(await events(churnRead), before, id);
    expect(seen.filter((event) => event.model === before).map((e) => e.type)).toEqual(
      expect.arrayContaining(['model.created', 'version.created']),
    );
    const byNewName = await events(churnRead, { model: after });
    expect(byNewName.map((e) => e.type)).toEqual(
      expect.arrayContaining(['model.created', 'version.created', 'model.renamed']),
    );
  });
});

describe('GET /api/models/<name>/at with a token restricted to churn-*', () => {
  const now = () => new Date().toISOString();

  it("refuses another model's past state (403)", async () => {
    expectDenied(await getJson(`/api/models/${victim}/at`, churnRead, { time: now() }));
  });

  it("answers the churn model's past state (200)", async () => {
    const res = await getJson(`/api/models/${churn}/at`, churnRead, { time: now() });
    expect({ status: res.status, text: res.text }).toEqual({ status: 200, text: expect.any(String) });
  });

  it("answers an unrestricted read token the other model's past state (200)", async () => {
    expect((await getJson(`/api/models/${victim}/at`, reader, { time: now() })).status).toBe(200);
  });
});

describe("a churn version whose files are another model's is authorized at that model", () => {
  let copy: string;
  let legacy: string;
  let own: string;
  const OWN_BYTES = 'churn bytes, readable by the churn team';

  beforeAll(async () => {
    // (a) An admin may register another model's version as a source: models:/<victim>/1.
    copy = uniqueName('churn-copy');
    await t.http
      .post('/api/2.0/mlflow/registered-models/create')
      .set(bearer(admin))
      .send({ name: copy })
      .expect(200);
    const created = await t.http
      .post('/api/2.0/mlflow/model-versions/create')
      .set(bearer(admin))
      .send({ name: copy, source: `models:/${victim}/1` });
    expect({ status: created.status, body: created.body }).toEqual({ status: 200, body: expect.anything() });

    // (b) A row from before source validation, pointing straight at the victim's package folder.
    legacy = uniqueName('churn-legacy');
    await t.http
      .post('/api/2.0/mlflow/registered-models/create')
      .set(bearer(admin))
      .send({ name: legacy })
      .expect(200);
    const location = `mlflow-artifacts:/packages/${victimId}/1.0.0`;
    const now = Date.now();
    await t.db('model_versions').insert({
      registered_model_id: await modelId(legacy),
      version: 1,
      major: 1,
      minor: 0,
      patch: 0,
      source: location,
      storage_location: location,
      creation_timestamp: now,
      last_updated_timestamp: now,
    });
    await t.db('registered_models').where({ name: legacy }).update({ next_version: 2 });

    // A churn version whose files are its own.
    own = uniqueName('churn-own');
    const source = await putArtifacts(
      t,
      `0/${uniqueName('x')}/artifacts`,
      { 'model.bin': OWN_BYTES },
      bearer(admin),
    );
    await t.http
      .post('/api/2.0/mlflow/registered-models/create')
      .set(bearer(churnWrite))
      .send({ name: own })
      .expect(200);
    await t.http
      .post('/api/2.0/mlflow/model-versions/create')
      .set(bearer(churnWrite))
      .send({ name: own, source })
      .expect(200);
  });

  const cases = [
    ['a version created with source models:/<victim>/1', () => copy],
    ["a legacy row whose source is the victim's package folder", () => legacy],
  ] as const;

  describe.each(cases)('%s', (_what, name) => {
    it('refuses the churn token GET /model-versions/get-artifact (403)', async () => {
      expectDenied(
        await get(`/model-versions/get-artifact?name=${name()}&version=1&path=model.bin`, churnRead),
      );
    });

    it('refuses the churn token GET /api/models/<name>/download-uris (403)', async () => {
      expectDenied(await getJson(`/api/models/${name()}/download-uris`, churnRead, { version: '1' }));
      expectDenied(await getJson(`/api/models/${name()}/download-uris`, churnRead));
    });

    it.each(MLFLOW_PREFIXES)(
      "refuses the churn token the files get-download-uri names, on %s and the artifact proxy's prefixes",
      async (prefix) => {
        const uri = await getJson(`${prefix}/model-versions/get-download-uri`, churnRead, {
          name: name(),
          version: '1',
        });
        expect(uri.status).toBe(200);
        const key = String(uri.body.artifact_uri).replace(/^mlflow-artifacts:\/+/, '');
        expect(key).toBe(`packages/${victimId}/1.0.0`);
        for (const artifacts of ARTIFACT_PREFIXES) {
          expectDenied(await get(`${artifacts}/artifacts/${key}/model.bin`, churnRead));
          expectDenied(await getJson(`${artifacts}/artifacts`, churnRead, { path: key }));
        }
      },
    );

    it("serves an unrestricted read token the victim's bytes (200), directly and through a link", async () => {
      expectVictimBytes(
        await get(`/model-versions/get-artifact?name=${name()}&version=1&path=model.bin`, reader),
      );
      const links = await getJson(`/api/models/${name()}/download-uris`, reader, { version: '1' });
      expect({ status: links.status, files: Object.keys(links.body) }).toEqual({
        status: 200,
        files: ['model.bin'],
      });
      const link = new URL(links.body['model.bin']);
      expectVictimBytes(await get(link.pathname + link.search, reader));
    });
  });

  it('keeps a churn version whose files are its own readable by the churn token (200)', async () => {
    const direct = await get(`/model-versions/get-artifact?name=${own}&version=1&path=model.bin`, churnRead);
    expect({ status: direct.status, text: (direct.body as Buffer).toString() }).toEqual({
      status: 200,
      text: OWN_BYTES,
    });
    const links = await getJson(`/api/models/${own}/download-uris`, churnRead, { version: '1' });
    expect(links.status).toBe(200);
    const link = new URL(links.body['model.bin']);
    const viaLink = await get(link.pathname + link.search, churnRead);
    expect({ status: viaLink.status, text: (viaLink.body as Buffer).toString() }).toEqual({
      status: 200,
      text: OWN_BYTES,
    });
  });
});

describe('the artifact proxy over package storage with a token restricted to churn-*', () => {
  let churnPackage: string;
  let churnPackageId: number;

  beforeAll(async () => {
    churnPackage = uniqueName('churn-pkg');
    await t.http
      .put(`/api/packages/${churnPackage}/1.0.0/model.bin`)
      .set(bearer(churnWrite))
      .set('Content-Type', 'application/octet-stream')
      .send(Buffer.from('churn package bytes'))
      .expect(201);
    churnPackageId = await modelId(churnPackage);
  });

  async function listedIds(prefix: string, token: string): Promise<string[]> {
    const res = await getJson(`${prefix}/artifacts`, token, { path: 'packages' });
    expect({ status: res.status, error: res.body.error_code ? res.body : undefined }).toEqual({
      status: 200,
      error: undefined,
    });
    return ((res.body.files ?? []) as Array<{ path: string }>).map((file) => file.path);
  }

  it.each(ARTIFACT_PREFIXES)(
    '%s/artifacts?path=packages lists only the folders of churn models',
    async (prefix) => {
      const ids = await listedIds(prefix, churnRead);
      expect(ids).toContain(String(churnPackageId));
      expect(ids).not.toContain(String(victimId));
      const names = await t.db('registered_models').whereIn('id', ids.map(Number)).pluck('name');
      expect(names).toHaveLength(ids.length);
      expect(names.filter((name: string) => !matchesModelPattern(CHURN, name))).toEqual([]);
    },
  );

  it.each(ARTIFACT_PREFIXES)(
    '%s/artifacts?path=packages lists every folder to an unrestricted token',
    async (prefix) => {
      const ids = await listedIds(prefix, reader);
      expect(ids).toEqual(expect.arrayContaining([String(churnPackageId), String(victimId)]));
    },
  );

  it.each(ARTIFACT_PREFIXES)(
    '%s/artifacts/packages/<victim id>/1.0.0/model.bin is refused to the churn token (403), served to others',
    async (prefix) => {
      const path = `${prefix}/artifacts/packages/${victimId}/1.0.0/model.bin`;
      expectDenied(await get(path, churnRead));
      expectDenied(await get(path, churnWrite));
      expectVictimBytes(await get(path, reader));
    },
  );

  it.each(ARTIFACT_PREFIXES)(
    '%s/artifacts/packages/<churn id>/1.0.0/model.bin is served to the churn token (200)',
    async (prefix) => {
      const res = await get(`${prefix}/artifacts/packages/${churnPackageId}/1.0.0/model.bin`, churnRead);
      expect({ status: res.status, text: (res.body as Buffer).toString() }).toEqual({
        status: 200,
        text: 'churn package bytes',
      });
    },
  );
});

describe('model patterns applied in SQL stay linear', () => {
  // 20 × "*a" then "*b": a backtracking matcher explores ~C(200, 20) ways to place the a's before giving up.
  const ADVERSARIAL = `${'*a'.repeat(20)}*b`;
  const longName = 'a'.repeat(200);
  let adversarial: string;
  let matching: string;

  beforeAll(async () => {
    adversarial = await mintToken(t, 'read', { models: [ADVERSARIAL] });
    matching = await mintToken(t, 'read', { models: [`${'*a'.repeat(20)}*`] });
    await t.http
      .post('/api/2.0/mlflow/registered-models/create')
      .set(bearer(admin))
      .send({ name: longName })
      .expect(200);
  });

  it.each(MLFLOW_PREFIXES)(
    '%s/registered-models/search answers 200 without the non-matching model',
    async (prefix) => {
      const res = await getJson(`${prefix}/registered-models/search`, adversarial, { max_results: '1000' });
      expect({ status: res.status, models: res.body.registered_models ?? [] }).toEqual({
        status: 200,
        models: [],
      });
    },
  );

  it.each(MLFLOW_PREFIXES)(
    '%s/registered-models/search lists the model to a pattern it matches',
    async (prefix) => {
      const res = await getJson(`${prefix}/registered-models/search`, matching, { max_results: '1000' });
      expect(res.status).toBe(200);
      expect((res.body.registered_models ?? []).map((m: { name: string }) => m.name)).toEqual([longName]);
    },
  );

  it('GET /api/events answers 200 without the non-matching model’s events', async () => {
    const res = await getJson('/api/events', adversarial, { max_results: '1000' });
    expect({ status: res.status, events: res.body.events }).toEqual({ status: 200, events: [] });
    const seen = await getJson('/api/events', matching, { max_results: '1000', model: longName });
    expect(seen.body.events.map((e: { type: string }) => e.type)).toContain('model.created');
  });
});
