import crypto from 'node:crypto';
import express from 'express';
import type { Express, Response } from 'express';
import { listen } from '../../helpers/cli';
import { uniqueName } from '../../helpers/mlflow';
import { createTestApp, TestApp } from '../../helpers/test-app';
import { createModelVersion, getModelVersion } from '../../../src/registry/model-versions';
import { ImportContext } from '../../../src/import/import-context';
import { importFromMlflow } from '../../../src/import/import-mlflow';
import { Ledger } from '../../../src/import/ledger';
import { MlflowSource } from '../../../src/import/mlflow-source';
import { PhaseProgress } from '../../../src/import/progress';
import { ImportReport } from '../../../src/import/report';
import { verifyImport } from '../../../src/import/verify-import';
import { API, createExperiment, createRun, logBatch } from '../tracking/helpers';

/**
 * The importer against a source that speaks MLflow's REST API: another semreg, so each test builds its
 * source through the public API. The target is a second, empty semreg database.
 */
let source: TestApp;
let target: TestApp;
let served: { url: string; close(): Promise<void> };
/** Paths the source answers with 400 while listed here (a failure that is not retried). */
const failing = new Set<string>();
/** Rewrites the source's model-versions/search answers (a source whose tags semreg would refuse). */
let patchVersions: ((versions: Array<Record<string, any>>) => void) | undefined;
/** Called when the importer starts downloading a file from the source. */
let onDownload: (() => void) | undefined;

function withFaults(app: Express): Express {
  const outer = express();
  outer.use((req, res, next) => {
    const key = `${req.path}?${String(req.query.run_id ?? '')}`;
    if (failing.has(key)) {
      res.status(400).json({ error_code: 'BAD_REQUEST', message: 'injected failure' });
      return;
    }
    if (req.method === 'GET' && req.path.startsWith('/api/2.0/mlflow-artifacts/artifacts/')) onDownload?.();
    if (patchVersions && req.path.endsWith('/model-versions/search')) {
      // The API writes its JSON with `res.end` (src/http/route.ts): the answer is rewritten there.
      const end = res.end.bind(res) as (body: string) => Response;
      res.end = ((chunk: Buffer | string) => {
        const body = JSON.parse(String(chunk)) as { model_versions?: Array<Record<string, any>> };
        patchVersions?.(body.model_versions ?? []);
        const text = JSON.stringify(body);
        res.setHeader('Content-Length', Buffer.byteLength(text));
        return end(text);
      }) as Response['end'];
    }
    next();
  });
  outer.use(app);
  return outer;
}

beforeAll(async () => {
  source = await createTestApp();
  target = await createTestApp();
  served = await listen(withFaults(source.app));
});

afterAll(async () => {
  await served?.close();
  await source?.close();
  await target?.close();
});

function context(
  options: Partial<ImportContext['options']> = {},
  signal = new AbortController().signal,
): ImportContext {
  return {
    db: target.db,
    storage: target.ctx.storage,
    source: new MlflowSource(served.url, undefined, signal),
    ledger: new Ledger(served.url),
    options: { experiments: [], models: [], maxArtifactBytes: 2 ** 30, concurrency: 2, ...options },
    report: new ImportReport(),
    progress: new PhaseProgress(false, () => undefined),
    signal,
    experimentIds: new Map(),
    runIds: new Map(),
    loggedModelIds: new Map(),
    loggedModelMetrics: new Map(),
  };
}

async function runImport(options: Partial<ImportContext['options']> = {}): Promise<ImportReport> {
  const ctx = context(options);
  await importFromMlflow(ctx, undefined);
  return ctx.report;
}

const count = async (table: string, where: Record<string, unknown> = {}) =>
  Number((await target.db(table).where(where).count<{ count: string }[]>('* as count'))[0].count);

describe('semreg import-mlflow', () => {
  it('keeps run ids, every metric point and times, and resumes after a failed run without duplicates', async () => {
    const experimentName = uniqueName('imp-exp');
    const experimentId = await createExperiment(source, experimentName);
    const runs = [];
    for (let i = 0; i < 3; i += 1) {
      const run = await createRun(source, experimentId, {
        start_time: 1_700_000_000_000 + i,
        run_name: `r${i}`,
      });
      await logBatch(source, run.info.run_id, {
        metrics: Array.from({ length: 30 }, (_, step) => ({
          key: 'loss',
          value: step,
          timestamp: 1_700_000_000_000 + step,
          step,
        })),
        params: [{ key: 'lr', value: String(i) }],
        tags: [{ key: 'owner', value: 'ü' }],
      });
      runs.push(run.info.run_id as string);
    }
    failing.add(`${API}/metrics/get-history?${runs[1]}`);

    const first = await runImport({ experiments: [experimentName] });
    expect(first.failures).toEqual([expect.stringContaining(runs[1])]);
    expect(await count('runs', { experiment_id: await mappedExperiment(experimentName) })).toBe(2);

    failing.clear();
    const second = await runImport({ experiments: [experimentName] });
    expect(second.failures).toEqual([]);
    expect(second.counts.get('runs')).toEqual({ imported: 1, alreadyImported: 2, failed: 0 });
    for (const runId of runs) expect(await count('metrics', { run_uuid: runId })).toBe(30);
    const row = await target.db('runs').where({ run_uuid: runs[0] }).first();
    expect(Number(row.start_time)).toBe(1_700_000_000_000);

    const third = await runImport({ experiments: [experimentName] });
    expect(third.counts.get('runs')).toEqual({ imported: 0, alreadyImported: 3, failed: 0 });
    expect(await count('metrics', { run_uuid: runs[2] })).toBe(30);
  });

  it('keeps version numbers with their gaps, semvers and aliases; verify finds no difference', async () => {
    const name = uniqueName('imp-model');
    await source.http.post(`${API}/registered-models/create`).send({ name, description: 'd' }).expect(200);
    for (let i = 0; i < 3; i += 1)
      await createModelVersion(source.db, {
        name,
        source: `mlflow-artifacts:/imported-by-hand/${i}`,
        tags: i === 2 ? [{ key: 'semver', value: '3.1.4' }] : [],
      });
    await source.http.delete(`${API}/model-versions/delete`).send({ name, version: '2' }).expect(200);
    await source.http
      .post(`${API}/registered-models/alias`)
      .send({ name, alias: 'champion', version: '3' })
      .expect(200);

    const report = await runImport({ models: [name], experiments: ['none-of-them'] });
    expect(report.failures).toEqual([]);
    const versions = await target
      .db('model_versions as mv')
      .join('registered_models as rm', 'rm.id', 'mv.registered_model_id')
      .where('rm.name', name)
      .orderBy('mv.version')
      .select('mv.version', 'mv.semver');
    expect(versions).toEqual([
      { version: 1, semver: '1.0.0' },
      { version: 3, semver: '3.1.4' },
    ]);
    const next = await createModelVersion(target.db, {
      name,
      source: 'mlflow-artifacts:/imported-by-hand/x',
    });
    expect(next.version).toBe('4');
    expect((await getModelVersion(target.db, name, 3)).aliases).toEqual(['champion']);

    const signal = new AbortController().signal;
    const result = await verifyImport({
      db: target.db,
      storage: target.ctx.storage,
      source: new MlflowSource(served.url, undefined, signal),
      ledger: new Ledger(served.url),
      options: { experiments: ['none-of-them'], models: [name], maxArtifactBytes: 2 ** 30, concurrency: 1 },
      progress: new PhaseProgress(false, () => undefined),
    });
    expect(result.differences).toEqual([]);
    expect(result.counts.get('model versions')).toEqual([2, 2]);
  });
});

describe('interrupted while a file streams', () => {
  it('leaves no trace of the file, and the next run copies it whole', async () => {
    const experimentName = uniqueName('imp-files');
    const experimentId = await createExperiment(source, experimentName);
    const run = await createRun(source, experimentId);
    const runId = run.info.run_id as string;
    const body = crypto.randomBytes(3 * 2 ** 20);
    await source.http
      .put(`/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${runId}/artifacts/model/weights.bin`)
      .set('Content-Type', 'application/octet-stream')
      .send(body)
      .expect(200);

    const controller = new AbortController();
    onDownload = () => controller.abort();
    try {
      const ctx = context({ experiments: [experimentName] }, controller.signal);
      await importFromMlflow(ctx, undefined);
      expect(ctx.report.counts.get('artifact files')).toBeUndefined();
    } finally {
      onDownload = undefined;
    }
    const key = `${await mappedExperiment(experimentName)}/${runId}/artifacts/model/weights.bin`;
    expect(await count('stored_files', { key })).toBe(0);

    const report = await runImport({ experiments: [experimentName] });
    expect(report.failures).toEqual([]);
    const stored = await target.db('stored_files').where({ key }).first();
    expect(stored.sha256).toBe(crypto.createHash('sha256').update(body).digest('hex'));
    const again = await runImport({ experiments: [experimentName] });
    expect(again.counts.get('artifact files')).toBeUndefined();
    expect(again.counts.get('runs')).toEqual({ imported: 0, alreadyImported: 1, failed: 0 });
  });
});

describe('a selected model version whose run is in an experiment left out', () => {
  it('brings the run, its experiment and its files along', async () => {
    const experimentName = uniqueName('imp-left-out');
    const experimentId = await createExperiment(source, experimentName);
    const run = await createRun(source, experimentId);
    const runId = run.info.run_id as string;
    await source.http
      .put(`/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${runId}/artifacts/model/MLmodel`)
      .set('Content-Type', 'application/octet-stream')
      .send(Buffer.from('flavors: {}\n'))
      .expect(200);
    const name = uniqueName('imp-pulled');
    await source.http.post(`${API}/registered-models/create`).send({ name }).expect(200);
    await source.http
      .post(`${API}/model-versions/create`)
      .send({ name, source: `runs:/${runId}/model`, run_id: runId })
      .expect(200);

    const report = await runImport({ models: [name], experiments: ['none-of-them'] });
    expect(report.failures).toEqual([]);
    const version = await getModelVersion(target.db, name, 1);
    expect(version.run_id).toBe(runId);
    expect(version.source).toBe(`runs:/${runId}/model`);
    const key = `${await mappedExperiment(experimentName)}/${runId}/artifacts/model/MLmodel`;
    expect(await count('stored_files', { key })).toBe(1);
    expect(report.notes).toEqual(
      expect.arrayContaining([expect.stringContaining(`experiment '${experimentName}' imported`)]),
    );
  });
});

describe('semver conflicts', () => {
  it('imports the version with the automatic semver, keeps the source value in a tag and reports it on every run', async () => {
    const name = uniqueName('imp-conflict');
    await source.http.post(`${API}/registered-models/create`).send({ name }).expect(200);
    await createModelVersion(source.db, { name, source: 'mlflow-artifacts:/imported-by-hand/c' });
    patchVersions = (versions) => {
      for (const v of versions) v.tags = [...(v.tags ?? []), { key: 'gitlab.version', value: 'v2' }];
    };
    try {
      const ctx = context({ models: [name], experiments: ['none-of-them'] });
      await importFromMlflow(ctx, undefined);
      expect(ctx.report.failures).toEqual([]);
      const version = await getModelVersion(target.db, name, 1);
      expect(version.tags).toEqual(
        expect.arrayContaining([
          { key: 'semver', value: '1.0.0' },
          { key: 'semreg.import.semver', value: 'semver=1.0.0, gitlab.version=v2' },
        ]),
      );
      const entry = await new Ledger(served.url).find(target.db, 'model-version', `${name}/1`);
      expect(entry?.detail?.conflict).toContain('different semvers in its tags (1.0.0, v2)');
    } finally {
      patchVersions = undefined;
    }
  });
});

async function mappedExperiment(name: string): Promise<number> {
  const row = await target.db('experiments').where({ name }).first('experiment_id');
  return Number(row.experiment_id);
}
