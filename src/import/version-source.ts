import { findRunArtifactUri } from '../tracking/runs';
import { getLoggedModel } from '../tracking/logged-models';
import type { Queryable } from '../db/knex';
import { proxiedPath } from './artifact-roots';
import type { ImportContext } from './import-context';
import type { SourceModelVersion } from './source-types';

/**
 * A model version's `source`, `run_id` and `model_id` pointed at the imported objects: `runs:/<id>/…` and
 * `models:/m-…` name the imported run or logged model; an `mlflow-artifacts:` path inside a source run's or
 * logged model's root moves to semreg's root of the same object. Anything else (`s3://`, `dbfs:/`, …) is
 * kept as the source has it: its bytes never went through the source server.
 */
export interface RewrittenSource {
  source: string;
  runId?: string;
  modelId?: string;
}

async function targetRoot(
  ctx: ImportContext,
  db: Queryable,
  kind: 'run' | 'logged-model',
  sourceId: string,
): Promise<{ sourceRoot: string; targetRoot: string } | undefined> {
  const entry = await ctx.ledger.find(db, kind, sourceId);
  if (!entry?.completed || !entry.targetId) return undefined;
  const sourceRoot = proxiedPath(entry.detail?.sourceArtifactUri as string | undefined);
  const targetUri =
    kind === 'run'
      ? await findRunArtifactUri(db, entry.targetId)
      : (await getLoggedModel(db, entry.targetId, { allowDeleted: true }).catch(() => undefined))?.info
          .artifact_uri;
  const target = proxiedPath(targetUri);
  return sourceRoot !== undefined && target !== undefined ? { sourceRoot, targetRoot: target } : undefined;
}

export async function rewriteVersionSource(
  ctx: ImportContext,
  db: Queryable,
  version: SourceModelVersion,
): Promise<RewrittenSource> {
  const runId = version.run_id ? (ctx.runIds.get(version.run_id) ?? version.run_id) : undefined;
  const modelId = version.model_id
    ? (ctx.loggedModelIds.get(version.model_id) ?? version.model_id)
    : undefined;
  const source = version.source ?? '';
  const runs = /^runs:\/([^/]+)(\/.*)?$/s.exec(source);
  if (runs) return { source: `runs:/${ctx.runIds.get(runs[1]) ?? runs[1]}${runs[2] ?? ''}`, runId, modelId };
  const logged = /^models:\/(m-[0-9a-f]{32})$/.exec(source);
  if (logged) {
    // Some servers leave `model_id` out of the version message; the source names the model anyway.
    const id = ctx.loggedModelIds.get(logged[1]) ?? logged[1];
    return { source: `models:/${id}`, runId, modelId: modelId ?? id };
  }
  const path = proxiedPath(source);
  if (path === undefined) return { source, runId, modelId };
  const parts = path.split('/');
  const owners: Array<['run' | 'logged-model', string | undefined]> = [
    ['logged-model', version.model_id],
    ['run', version.run_id],
    ['logged-model', parts[1] === 'models' ? parts[2] : undefined],
    ['run', parts[1]],
  ];
  for (const [kind, id] of owners) {
    if (!id) continue;
    const roots = await targetRoot(ctx, db, kind, id);
    if (roots && (path === roots.sourceRoot || path.startsWith(`${roots.sourceRoot}/`)))
      return {
        source: `mlflow-artifacts:/${roots.targetRoot}${path.slice(roots.sourceRoot.length)}`,
        runId,
        modelId,
      };
  }
  return { source, runId, modelId };
}
