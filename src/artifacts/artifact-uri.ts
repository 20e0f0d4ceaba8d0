import type { Queryable } from '../db/knex';
import { invalidParameter, notFound } from '../errors';
import { findLoggedModelArtifactUri } from '../tracking/logged-models';
import { findRunArtifactUri } from '../tracking/runs';
import { normaliseRelativePath } from '../storage/safe-path';

/**
 * Turns an artifact URI the server handed out (a run's or logged model's `artifact_uri`, a model version's
 * download URI) into a key of our own ArtifactStore. Only `mlflow-artifacts:` without a host (and the
 * `runs:/` and `models:/m-…` indirections onto it) are accepted: a stored URI must never choose another
 * backend or host at read time (mlflow-compat.md §7 "Never let a stored URI choose the storage backend").
 */
const MLFLOW_ARTIFACTS = /^mlflow-artifacts:(?:\/\/\/|\/(?!\/))(.*)$/s;
const RUNS = /^runs:\/([^/]+)(?:\/(.*))?$/s;
const LOGGED_MODEL = /^models:\/(m-[0-9a-f]{32})\/?$/;

function joinKey(base: string, rel: string): string {
  return normaliseRelativePath([base, rel].filter(Boolean).join('/'));
}

export async function artifactUriToKey(db: Queryable, uri: string): Promise<string> {
  const own = MLFLOW_ARTIFACTS.exec(uri);
  if (own) return normaliseRelativePath(own[1]);
  const run = RUNS.exec(uri);
  if (run) {
    const runUri = await findRunArtifactUri(db, run[1]);
    if (!runUri) throw notFound(`Run with id=${run[1]} not found`);
    return joinKey(await artifactUriToKey(db, runUri), run[2] ?? '');
  }
  const model = LOGGED_MODEL.exec(uri);
  if (model) {
    const found = await findLoggedModelArtifactUri(db, model[1]);
    if (!found) throw notFound(`Logged model with id=${model[1]} not found`);
    return artifactUriToKey(db, found.artifactUri);
  }
  throw invalidParameter(`The artifact location '${uri.slice(0, 200)}' is not served by this server.`);
}

/** `root` + a user-supplied path relative to it, through the path guard (the relative part is validated alone). */
export function keyUnder(root: string, rel: string | undefined): string {
  return joinKey(root, normaliseRelativePath(rel ?? ''));
}
