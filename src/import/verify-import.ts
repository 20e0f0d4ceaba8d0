import crypto from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Db } from '../db/knex';
import { getModelVersion } from '../registry/model-versions';
import { getRegisteredModel } from '../registry/registered-models';
import type { ArtifactStore } from '../storage/artifact-store';
import { getExperiment } from '../tracking/experiments';
import { getLoggedModel } from '../tracking/logged-models';
import { getMetricHistory } from '../tracking/metrics';
import { getRun } from '../tracking/runs';
import { proxiedPath, storeKeyOf } from './artifact-roots';
import { listProxiedFiles, listRunFiles, ListedFile } from './import-artifacts';
import type { ImportOptions } from './import-context';
import { errorMessage } from './import-context';
import { listSourceExperiments } from './import-experiments';
import { listSourceLoggedModels } from './import-logged-models';
import { listSourceModels, listSourceVersions } from './import-registry';
import { listSourceRuns, metricHistory, sourceRunId } from './import-runs';
import type { Ledger } from './ledger';
import type { MlflowSource } from './mlflow-source';
import type { PhaseProgress } from './progress';
import { IMPORTED_SEMVER_TAG, SEMVER_TAG_KEYS } from './semver-tags';
import { int64, KeyValue, SourceMetric } from './source-types';

/**
 * `--verify`: reads the source through its REST API and semreg through the services that build its REST
 * answers (the view an MLflow client gets), and lists every difference: experiments, runs (info, params,
 * tags, latest metrics, every metric point), logged models, registered models (description, tags,
 * aliases), versions (times, description, tags, stage, run, semver) and each file's sha256, hashed again on
 * both sides. Ids are compared through the ledger's mapping.
 */
export interface VerifyContext {
  readonly db: Db;
  readonly storage: ArtifactStore;
  readonly source: MlflowSource;
  readonly ledger: Ledger;
  readonly options: ImportOptions;
  readonly progress: PhaseProgress;
}

export interface VerifyResult {
  /** kind → [source count, semreg count] */
  readonly counts: Map<string, [number, number]>;
  readonly differences: string[];
}

class Tally {
  readonly counts = new Map<string, [number, number]>();
  readonly differences: string[] = [];

  add(kind: string, source: number, target: number): void {
    const [s, t] = this.counts.get(kind) ?? [0, 0];
    this.counts.set(kind, [s + source, t + target]);
  }

  differ(what: string): void {
    this.differences.push(what);
  }

  /** Compares two values as JSON; records a difference naming `what`. */
  same(what: string, source: unknown, target: unknown): void {
    const a = JSON.stringify(source ?? null);
    const b = JSON.stringify(target ?? null);
    if (a !== b) this.differ(`${what}: source ${a.slice(0, 200)}, semreg ${b.slice(0, 200)}`);
  }
}

const tagMap = (tags: KeyValue[] | undefined, drop: string[] = []): Record<string, string> =>
  Object.fromEntries(
    (tags ?? [])
      .filter((t) => !drop.includes(t.key))
      .map((t) => [t.key, t.value ?? ''])
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );

/** NaN and ±∞ travel as strings on one side and as numbers on the other. */
const metricValue = (value: unknown): string => String(typeof value === 'string' ? Number(value) : value);

/** A run history point; MLflow's histories carry no model or dataset (an older semreg's did: not compared). */
const pointKey = (m: SourceMetric): string => [m.step ?? 0, m.timestamp, metricValue(m.value)].join('|');

/** A logged model's metric, its run aside (semreg may have given the run a new id). */
const modelMetricKeys = (metrics: SourceMetric[] | undefined): string[] =>
  (metrics ?? [])
    .map((m) => [m.key, pointKey(m), m.dataset_name ?? '', m.dataset_digest ?? ''].join('|'))
    .sort();

async function sha256Of(stream: Readable): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function targetHistory(db: Db, runId: string, key: string): Promise<SourceMetric[]> {
  const points: SourceMetric[] = [];
  let pageToken: string | undefined;
  do {
    const page = await getMetricHistory(db, runId, { metric_key: key, page_token: pageToken });
    points.push(...(page.metrics as SourceMetric[]));
    pageToken = page.next_page_token;
  } while (pageToken);
  return points;
}

async function verifyFiles(
  ctx: VerifyContext,
  tally: Tally,
  what: string,
  files: ListedFile[],
  sourceRoot: string,
  targetRoot: string,
): Promise<void> {
  for (const file of files) {
    const sourceHash = await sha256Of((await ctx.source.download(`${sourceRoot}/${file.path}`)).stream);
    const target = await ctx.storage.get(`${targetRoot}/${file.path}`).catch(() => undefined);
    tally.add('artifact files', 1, target ? 1 : 0);
    if (!target) {
      tally.differ(`${what}: file ${file.path} missing in semreg`);
      continue;
    }
    const targetHash = await sha256Of(target.stream);
    if (sourceHash !== targetHash)
      tally.differ(`${what}: file ${file.path} sha256 ${sourceHash} in the source, ${targetHash} in semreg`);
    ctx.progress.tick(file.size);
  }
}

async function verifyRun(
  ctx: VerifyContext,
  tally: Tally,
  run: Awaited<ReturnType<typeof listSourceRuns>>[number],
  experimentId: string,
) {
  const id = sourceRunId(run);
  const entry = await ctx.ledger.find(ctx.db, 'run', id);
  const target = entry?.targetId ? await getRun(ctx.db, entry.targetId).catch(() => undefined) : undefined;
  const params = run.data?.params ?? [];
  const tags = run.data?.tags ?? [];
  tally.add('runs', 1, target ? 1 : 0);
  if (!target) {
    tally.differ(`run ${id}: missing in semreg`);
    return;
  }
  const what = `run ${id}`;
  const info = (i: Record<string, unknown>) => ({
    run_name: i.run_name,
    user_id: i.user_id,
    status: i.status,
    start_time: int64(i.start_time as number),
    end_time: i.end_time === undefined ? null : int64(i.end_time as number),
    lifecycle_stage: i.lifecycle_stage,
  });
  tally.same(`${what} info`, info(run.info), info(target.info as Record<string, unknown>));
  tally.same(`${what} experiment`, experimentId, target.info.experiment_id);
  tally.add('params', params.length, target.data?.params?.length ?? 0);
  tally.same(`${what} params`, tagMap(params), tagMap(target.data?.params));
  tally.add('run tags', tags.length, target.data?.tags?.length ?? 0);
  tally.same(`${what} tags`, tagMap(tags), tagMap(target.data?.tags));
  const latest = (ms: SourceMetric[] | undefined) =>
    Object.fromEntries((ms ?? []).map((m) => [m.key, pointKey(m)]).sort());
  tally.same(
    `${what} latest metrics`,
    latest(run.data?.metrics),
    latest(target.data?.metrics as SourceMetric[]),
  );
  tally.add(
    'dataset inputs',
    run.inputs?.dataset_inputs?.length ?? 0,
    target.inputs?.dataset_inputs?.length ?? 0,
  );
  for (const key of [...new Set((run.data?.metrics ?? []).map((m) => m.key))]) {
    const sourcePoints = (await metricHistory(ctx, id, key)).map(pointKey).sort();
    const targetPoints = (await targetHistory(ctx.db, target.info.run_id as string, key))
      .map(pointKey)
      .sort();
    tally.add('metric points', sourcePoints.length, targetPoints.length);
    if (sourcePoints.join('\n') !== targetPoints.join('\n'))
      tally.differ(
        `${what} metric '${key}': ${sourcePoints.length} points in the source, ${targetPoints.length} in semreg, or different values`,
      );
  }
  const sourceRoot = proxiedPath(run.info.artifact_uri);
  if (sourceRoot !== undefined) {
    const files = await listRunFiles(ctx.source, id);
    ctx.progress.grow(files.length);
    await verifyFiles(ctx, tally, what, files, sourceRoot, storeKeyOf(target.info.artifact_uri as string));
  }
}

async function verifyTracking(ctx: VerifyContext, tally: Tally): Promise<void> {
  for (const experiment of await listSourceExperiments(ctx)) {
    const entry = await ctx.ledger.find(ctx.db, 'experiment', experiment.experiment_id);
    const target = entry?.targetId
      ? await getExperiment(ctx.db, entry.targetId).catch(() => undefined)
      : undefined;
    tally.add('experiments', 1, target ? 1 : 0);
    if (!target) {
      tally.differ(`experiment '${experiment.name}': missing in semreg`);
      continue;
    }
    const what = `experiment '${experiment.name}'`;
    tally.same(`${what} lifecycle_stage`, experiment.lifecycle_stage ?? 'active', target.lifecycle_stage);
    tally.add('experiment tags', experiment.tags?.length ?? 0, target.tags?.length ?? 0);
    tally.same(`${what} tags`, tagMap(experiment.tags), tagMap(target.tags));
    if (!entry?.detail?.takenOver)
      tally.same(`${what} creation_time`, int64(experiment.creation_time), target.creation_time);
    for (const model of await listSourceLoggedModels(ctx, experiment.experiment_id)) {
      const id = model.info.model_id;
      const mine = await getLoggedModel(ctx.db, id, { allowDeleted: true }).catch(() => undefined);
      tally.add('logged models', 1, mine ? 1 : 0);
      if (!mine) {
        tally.differ(`logged model ${id}: missing in semreg`);
        continue;
      }
      const view = (i: Record<string, unknown>) => ({
        name: i.name,
        status: i.status,
        model_type: i.model_type ?? null,
      });
      tally.same(`logged model ${id}`, view(model.info), view(mine.info));
      tally.same(`logged model ${id} tags`, tagMap(model.info.tags), tagMap(mine.info.tags));
      tally.same(`logged model ${id} params`, tagMap(model.data?.params), tagMap(mine.data?.params));
      tally.same(
        `logged model ${id} metrics`,
        modelMetricKeys(model.data?.metrics),
        modelMetricKeys(mine.data?.metrics as SourceMetric[] | undefined),
      );
      const root = proxiedPath(model.info.artifact_uri);
      if (root !== undefined) {
        const files = await listProxiedFiles(ctx.source, root);
        ctx.progress.grow(files.length);
        await verifyFiles(ctx, tally, `logged model ${id}`, files, root, storeKeyOf(mine.info.artifact_uri));
      }
    }
    const runs = await listSourceRuns(ctx, experiment.experiment_id);
    ctx.progress.grow(runs.length);
    for (const run of runs) {
      await verifyRun(ctx, tally, run, target.experiment_id);
      ctx.progress.tick();
    }
  }
}

async function verifyRegistry(ctx: VerifyContext, tally: Tally): Promise<void> {
  for (const model of await listSourceModels(ctx)) {
    const full = (
      await ctx.source.call<{ registered_model: typeof model }>('GET', 'registered-models/get', {
        name: model.name,
      })
    ).registered_model;
    const target = await getRegisteredModel(ctx.db, model.name).catch(() => undefined);
    tally.add('registered models', 1, target ? 1 : 0);
    if (!target) {
      tally.differ(`registered model '${model.name}': missing in semreg`);
      continue;
    }
    const what = `registered model '${model.name}'`;
    tally.same(`${what} description`, full.description ?? '', target.description ?? '');
    tally.same(`${what} tags`, tagMap(full.tags), tagMap(target.tags));
    tally.same(`${what} creation_timestamp`, int64(full.creation_timestamp), target.creation_timestamp);
    const aliases = (list: Array<{ alias: string; version: string }> | undefined) =>
      Object.fromEntries((list ?? []).map((a) => [a.alias, String(a.version)]).sort());
    tally.add('aliases', full.aliases?.length ?? 0, target.aliases?.length ?? 0);
    tally.same(`${what} aliases`, aliases(full.aliases), aliases(target.aliases));
    for (const version of await listSourceVersions(ctx, model.name)) {
      const mine = await getModelVersion(ctx.db, model.name, version.version).catch(() => undefined);
      tally.add('model versions', 1, mine ? 1 : 0);
      const vwhat = `${what} version ${version.version}`;
      if (!mine) {
        tally.differ(`${vwhat}: missing in semreg`);
        continue;
      }
      const runEntry = version.run_id ? await ctx.ledger.find(ctx.db, 'run', version.run_id) : undefined;
      const view = (v: Record<string, unknown>, runId: unknown) => ({
        creation_timestamp: int64(v.creation_timestamp as number),
        description: v.description ?? '',
        current_stage: v.current_stage ?? 'None',
        run_id: runId ?? null,
        status: v.status ?? 'READY',
      });
      tally.same(
        vwhat,
        view(version as unknown as Record<string, unknown>, runEntry?.targetId ?? version.run_id),
        view(mine as unknown as Record<string, unknown>, mine.run_id),
      );
      const dropped = [...SEMVER_TAG_KEYS, IMPORTED_SEMVER_TAG];
      tally.same(`${vwhat} tags`, tagMap(version.tags, dropped), tagMap(mine.tags, dropped));
      const requested = (version.tags ?? []).find((t) => SEMVER_TAG_KEYS.includes(t.key))?.value;
      const semver = mine.tags?.find((t) => t.key === 'semver')?.value;
      if (requested !== undefined && requested !== semver)
        tally.differ(`${vwhat}: the source asks for semver ${requested}, semreg has ${semver}`);
    }
  }
}

export async function verifyImport(ctx: VerifyContext): Promise<VerifyResult> {
  const tally = new Tally();
  ctx.progress.start('verify', 0);
  try {
    await verifyTracking(ctx, tally);
    await verifyRegistry(ctx, tally);
  } catch (err) {
    tally.differ(`verification stopped: ${errorMessage(err)}`);
  } finally {
    ctx.progress.stop();
  }
  for (const [kind, [s, t]] of tally.counts)
    if (s !== t) tally.differ(`${kind}: ${s} in the source, ${t} in semreg`);
  return { counts: tally.counts, differences: tally.differences };
}
