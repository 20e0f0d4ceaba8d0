import { MlflowError } from '../errors';
import { runWithEventContext } from '../lifecycle/event-context';
import { setRegisteredModelAlias } from '../registry/aliases';
import { createModelVersion, transitionModelVersionStage } from '../registry/model-versions';
import {
  createRegisteredModel,
  findRegisteredModel,
  touchRegisteredModel,
} from '../registry/registered-models';
import type { S3Destination } from '../config';
import { ensureVersionDependencies } from './dependencies';
import { errorMessage, ImportContext } from './import-context';
import { nameSelected } from './name-filter';
import { IMPORTED_SEMVER_TAG, semverProblem, withoutSemver } from './semver-tags';
import { int64, SourceModelVersion, SourceRegisteredModel } from './source-types';
import { rewriteVersionSource } from './version-source';

/**
 * Registered models, then their versions in version order (so the auto semver rule assigns what it would
 * have assigned had they been created here), then aliases and the model's last-update time. Versions keep
 * their integer numbers (gaps included), times, description, tags, stage, run and logged model.
 */
const escapeFilterValue = (value: string) => value.replace(/\\/g, '\\\\').replace(/'/g, "\\'");

export async function listSourceModels(
  ctx: Pick<ImportContext, 'source' | 'options'>,
): Promise<SourceRegisteredModel[]> {
  const models = await ctx.source.all<SourceRegisteredModel>(
    'GET',
    'registered-models/search',
    { max_results: 1000 },
    'registered_models',
  );
  return models.filter((m) => nameSelected(ctx.options.models, m.name));
}

export async function listSourceVersions(
  ctx: Pick<ImportContext, 'source'>,
  name: string,
): Promise<SourceModelVersion[]> {
  const versions = await ctx.source.all<SourceModelVersion>(
    'GET',
    'model-versions/search',
    { filter: `name='${escapeFilterValue(name)}'`, max_results: 10000 },
    'model_versions',
  );
  return versions.filter((v) => v.name === name).sort((a, b) => Number(a.version) - Number(b.version));
}

async function importModel(ctx: ImportContext, model: SourceRegisteredModel): Promise<void> {
  const creation = int64(model.creation_timestamp, Date.now());
  await runWithEventContext({ replayTime: creation }, () =>
    ctx.db.transaction(async (trx) => {
      const created = await createRegisteredModel(trx, {
        name: model.name,
        description: model.description,
        tags: model.tags,
        deployment_job_id: model.deployment_job_id || undefined,
        userId: model.user_id || undefined,
        importedCreationTimestamp: creation,
      });
      await ctx.ledger.complete(trx, 'registered-model', model.name, created.name);
    }),
  );
}

const isSemverRefusal = (err: unknown) =>
  err instanceof MlflowError &&
  (err.errorCode === 'RESOURCE_ALREADY_EXISTS' || err.errorCode === 'INVALID_PARAMETER_VALUE') &&
  /semantic version|semver/i.test(err.message);

async function createVersion(
  ctx: ImportContext,
  version: SourceModelVersion,
  tags: Array<{ key: string; value?: string }>,
  store: S3Destination | undefined,
  conflict?: (semver: string) => string,
): Promise<string> {
  const creation = int64(version.creation_timestamp, Date.now());
  const lastUpdated = int64(version.last_updated_timestamp, creation);
  const number = Number(version.version);
  return runWithEventContext({ replayTime: creation }, () =>
    ctx.db.transaction(async (trx) => {
      const rewritten = await rewriteVersionSource(ctx, trx, version);
      const created = await createModelVersion(trx, {
        name: version.name,
        source: rewritten.source,
        run_id: rewritten.runId,
        model_id: rewritten.modelId,
        tags,
        run_link: version.run_link || undefined,
        description: version.description,
        userId: version.user_id || undefined,
        store,
        imported: { version: number, creationTimestamp: creation, lastUpdatedTimestamp: lastUpdated },
      });
      const stage = version.current_stage ?? 'None';
      if (stage !== 'None')
        await runWithEventContext({ replayTime: lastUpdated }, () =>
          transitionModelVersionStage(trx, { name: version.name, version: number, stage, at: lastUpdated }),
        );
      const semver = created.tags?.find((t) => t.key === 'semver')?.value;
      await ctx.ledger.complete(
        trx,
        'model-version',
        `${version.name}/${version.version}`,
        `${version.name}/${number}`,
        {
          semver,
          ...(conflict ? { conflict: conflict(semver ?? '') } : {}),
        },
      );
      return semver ?? '';
    }),
  );
}

async function importVersion(
  ctx: ImportContext,
  version: SourceModelVersion,
  store: S3Destination | undefined,
): Promise<void> {
  const tags = version.tags ?? [];
  const what = `model '${version.name}' version ${version.version}`;
  const conflict = (problem: string) => (semver: string) =>
    `${what}: ${problem}; imported as ${semver}, the source's value kept in tag ${IMPORTED_SEMVER_TAG}`;
  const problem = semverProblem(tags);
  if (problem !== undefined) {
    await createVersion(ctx, version, withoutSemver(tags), store, conflict(problem));
    return;
  }
  try {
    await createVersion(ctx, version, tags, store);
  } catch (err) {
    if (!isSemverRefusal(err)) throw err;
    await createVersion(ctx, version, withoutSemver(tags), store, conflict(errorMessage(err)));
  }
}

/** Aliases and the model's last-update time, again whenever the source's aliases changed since. */
async function finishModel(ctx: ImportContext, model: SourceRegisteredModel): Promise<void> {
  const full = await ctx.source.call<{ registered_model: SourceRegisteredModel }>(
    'GET',
    'registered-models/get',
    {
      name: model.name,
    },
  );
  const aliases = [...(full.registered_model.aliases ?? [])].sort((a, b) => a.alias.localeCompare(b.alias));
  const signature = { aliases, lastUpdated: int64(full.registered_model.last_updated_timestamp) };
  const previous = await ctx.ledger.find(ctx.db, 'registered-model-final', model.name);
  if (previous?.completed && JSON.stringify(previous.detail) === JSON.stringify(signature)) return;
  await runWithEventContext({ replayTime: signature.lastUpdated || Date.now() }, () =>
    ctx.db.transaction(async (trx) => {
      let missing = 0;
      for (const { alias, version } of aliases) {
        // One savepoint per alias: an alias on a version that failed to import must not cost the others.
        await trx
          .transaction((alone) => setRegisteredModelAlias(alone, model.name, alias, version))
          .catch((err: unknown) => {
            missing += 1;
            ctx.report.failed('aliases', `'${model.name}'@${alias}`, errorMessage(err));
          });
      }
      const row = await findRegisteredModel(trx, model.name);
      if (signature.lastUpdated) await touchRegisteredModel(trx, row.id, signature.lastUpdated);
      // Not recorded as done while an alias is missing: the next run sets it once its version is in.
      if (!missing)
        await ctx.ledger.complete(trx, 'registered-model-final', model.name, model.name, signature);
    }),
  );
}

export async function importRegistry(
  ctx: ImportContext,
  models: SourceRegisteredModel[],
  store: S3Destination | undefined,
): Promise<void> {
  const doneModels = await ctx.ledger.completed(ctx.db, 'registered-model');
  const doneVersions = await ctx.ledger.completed(ctx.db, 'model-version');
  ctx.progress.start('registered models', models.length);
  for (const model of models) {
    if (ctx.signal.aborted) break;
    try {
      if (doneModels.has(model.name)) {
        ctx.report.alreadyImported('registered models');
      } else {
        const existing = await findRegisteredModel(ctx.db, model.name).catch(() => undefined);
        if (existing)
          throw new Error(
            'semreg already has a registered model of this name that this import did not create',
          );
        await importModel(ctx, model);
        ctx.report.imported('registered models');
      }
    } catch (err) {
      ctx.report.failed('registered models', `'${model.name}'`, errorMessage(err));
      await ctx.ledger.fail(ctx.db, 'registered-model', model.name, errorMessage(err));
      ctx.progress.tick();
      continue;
    }
    let versionFailures = 0;
    for (const version of await listSourceVersions(ctx, model.name)) {
      if (ctx.signal.aborted) break;
      const id = `${version.name}/${version.version}`;
      if (doneVersions.has(id)) {
        ctx.report.alreadyImported('model versions');
        continue;
      }
      try {
        await ensureVersionDependencies(ctx, version);
        await importVersion(ctx, version, store);
        ctx.report.imported('model versions');
      } catch (err) {
        if (ctx.signal.aborted) break;
        versionFailures += 1;
        ctx.report.failed('model versions', `'${model.name}' version ${version.version}`, errorMessage(err));
        await ctx.ledger.fail(ctx.db, 'model-version', id, errorMessage(err));
      }
    }
    if (!ctx.signal.aborted) {
      try {
        await finishModel(ctx, model);
      } catch (err) {
        if (!ctx.signal.aborted) ctx.report.failed('aliases', `'${model.name}'`, errorMessage(err));
      }
    }
    if (versionFailures)
      ctx.report.note(
        `'${model.name}': ${versionFailures} version(s) not imported; aliases on them could not be set`,
      );
    ctx.progress.tick();
  }
  ctx.progress.stop();
}
