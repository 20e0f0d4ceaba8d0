import { createTestApp, TestApp } from '../helpers/test-app';
import { MLFLOW_PREFIXES, uniqueName } from '../helpers/mlflow';
import { expectMlflowError } from './support';

/**
 * Issue 6 item 7: limits MLflow's reference server enforces (mlflow-compat.md §6.1) answer a fast JSON 400,
 * and nothing of a refused request is stored.
 */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe.each(MLFLOW_PREFIXES)('%s', (prefix) => {
  describe('log-batch', () => {
    let runId: string;
    beforeAll(async () => {
      const res = await t.http.post(`${prefix}/runs/create`).send({ experiment_id: '0' }).expect(200);
      runId = res.body.run.info.run_id;
    });
    const metric = (i: number) => ({ key: `m${i}`, value: i, timestamp: 1, step: 0 });
    const param = (i: number) => ({ key: `p${i}`, value: 'v' });
    const tag = (i: number) => ({ key: `t${i}`, value: 'v' });

    it.each([
      ['1001 metrics', () => ({ metrics: Array.from({ length: 1001 }, (_v, i) => metric(i)) })],
      ['101 params', () => ({ params: Array.from({ length: 101 }, (_v, i) => param(i)) })],
      ['101 tags', () => ({ tags: Array.from({ length: 101 }, (_v, i) => tag(i)) })],
      [
        '1001 entries in total',
        () => ({
          metrics: Array.from({ length: 901 }, (_v, i) => metric(i)),
          params: Array.from({ length: 100 }, (_v, i) => param(i)),
        }),
      ],
      ['a body over 1 MB', () => ({ tags: [{ key: 't', value: 'x'.repeat(1_100_000) }] })],
      ['a repeated param key', () => ({ params: [param(1), { key: 'p1', value: 'other' }] })],
      ['a key with ..', () => ({ params: [{ key: '../../etc/passwd', value: 'v' }] })],
      [
        'a key over 250 chars',
        () => ({ metrics: [{ key: 'k'.repeat(251), value: 1, timestamp: 1, step: 0 }] }),
      ],
      ['a key with a leading /', () => ({ tags: [{ key: '/abs', value: 'v' }] })],
    ])('refuses %s and stores none of it', async (_what, build) => {
      const res = await t.http.post(`${prefix}/runs/log-batch`).send({ run_id: runId, ...build() });
      expectMlflowError(res, 400, 'INVALID_PARAMETER_VALUE');
      const run = await t.http.get(`${prefix}/runs/get`).query({ run_id: runId }).expect(200);
      expect(run.body.run.data.metrics ?? []).toEqual([]);
      expect(run.body.run.data.params ?? []).toEqual([]);
      expect(
        (run.body.run.data.tags ?? []).filter((tg: { key: string }) => !tg.key.startsWith('mlflow.')),
      ).toEqual([]);
    });
  });

  it.each([
    ['registered-models/search', 1001],
    ['model-versions/search', 200_001],
    ['experiments/search', 50_001],
  ])('refuses max_results above the cap of %s', async (endpoint, tooMany) => {
    expectMlflowError(
      await t.http.get(`${prefix}/${endpoint}`).query({ max_results: tooMany }),
      400,
      'INVALID_PARAMETER_VALUE',
    );
    expectMlflowError(
      await t.http.get(`${prefix}/${endpoint}`).query({ max_results: '1'.repeat(40) }),
      400,
      'INVALID_PARAMETER_VALUE',
    );
  });

  it('refuses max_results above the cap of runs/search (50,000)', async () => {
    const res = await t.http
      .post(`${prefix}/runs/search`)
      .send({ experiment_ids: ['0'], max_results: 50_001 });
    expectMlflowError(res, 400, 'INVALID_PARAMETER_VALUE');
  });

  it.each([
    ['a name over 256 characters', 'n'.repeat(257)],
    ['a name with ..', '../evil'],
    ['a name that is ..', '..'],
    ['a name with /', 'team/model'],
    ['a name with :', 'a:b'],
    ['a leading /', '/etc'],
    ['an empty name', ''],
    ['a NUL', 'a\u0000b'],
  ])('refuses a registered model with %s', async (_what, name) => {
    const res = await t.http.post(`${prefix}/registered-models/create`).send({ name });
    expectMlflowError(res, 400, 'INVALID_PARAMETER_VALUE');
  });

  it('never lets two names that differ only by percent-encoding coexist', async () => {
    const base = uniqueName('look-alike');
    await t.http
      .post(`${prefix}/registered-models/create`)
      .send({ name: `${base}-x` })
      .expect(200);
    for (const alias of [`${base}%2Dx`, `${base}%252Dx`, `${base}-%78`]) {
      const res = await t.http.post(`${prefix}/registered-models/create`).send({ name: alias });
      expect(res.status).toBe(400);
      expectMlflowError(res, 400, ['RESOURCE_ALREADY_EXISTS', 'INVALID_PARAMETER_VALUE']);
    }
    const rows = await t.db('registered_models').where('name', 'like', `${base}%`);
    expect(rows).toHaveLength(1);
  });

  it.each([
    ['an experiment name over 500 characters', { name: 'e'.repeat(501) }],
    ['an empty experiment name', { name: '' }],
  ])('refuses %s', async (_what, body) => {
    expectMlflowError(
      await t.http.post(`${prefix}/experiments/create`).send(body),
      400,
      'INVALID_PARAMETER_VALUE',
    );
  });

  it('refuses a model-version tag over 100,000 characters and a description over 5000', async () => {
    const name = uniqueName('limits');
    await t.http.post(`${prefix}/registered-models/create`).send({ name }).expect(200);
    const tag = await t.http
      .post(`${prefix}/registered-models/set-tag`)
      .send({ name, key: 'k', value: 'v'.repeat(100_001) });
    expectMlflowError(tag, 400, 'INVALID_PARAMETER_VALUE');
    const desc = await t.http
      .patch(`${prefix}/registered-models/update`)
      .send({ name, description: 'd'.repeat(5001) });
    expectMlflowError(desc, 400, 'INVALID_PARAMETER_VALUE');
  });
});
