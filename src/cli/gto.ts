import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { SemregClient } from './client';
import { CliError, EXIT } from './exit-codes';

/**
 * `semreg import-gto <repo>`: replays a GTO registry kept in git tags (iterative/gto, gto/constants.py
 * `tag_re`) as semreg models, versions, stage assignments and events, each event stamped with its tag's
 * original date. Tag forms:
 *   name@v1.2.3        register version 1.2.3          name@v1.2.3!       deregister it
 *   name#prod#3        assign stage prod (3rd event)   name#prod!#4       unassign it
 *   name#prod          assign (older GTO, no counter)  name@deprecated    deprecate the artifact
 * Assignments name a commit, not a version: the version is the one registered on the same commit (GTO's
 * rule); without one, a version `0.0.0-commit-<sha>` stands for that commit, as GTO names it by its hash.
 */
export type GtoAction =
  | { kind: 'register' | 'deregister'; artifact: string; version: string }
  | { kind: 'assign' | 'unassign'; artifact: string; stage: string }
  | { kind: 'deprecate'; artifact: string };

const NAME = '[a-z0-9](?:[a-z0-9-/]*[a-z0-9])?';
const DIRNAME = '[a-z0-9-_./]+';
const SEMVER =
  '(?:0|[1-9]\\d*)\\.(?:0|[1-9]\\d*)\\.(?:0|[1-9]\\d*)(?:-[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?';
const TAG_RE = new RegExp(
  `^(?<artifact>(?:${DIRNAME}=)?${NAME})(?:(?:#(?<stage>${NAME})|@v(?<version>${SEMVER}))(?<cancel>!?)|@(?<deprecated>deprecated|created))(?:#(?<counter>[0-9]+))?$`,
);

export function parseGtoTag(tag: string): GtoAction | undefined {
  const match = TAG_RE.exec(tag);
  if (!match?.groups) return undefined;
  const { artifact, stage, version, cancel, deprecated } = match.groups;
  if (deprecated === 'deprecated') return { kind: 'deprecate', artifact };
  if (deprecated === 'created') return undefined; // an artifact announced without a version: nothing to replay
  if (version !== undefined) return { kind: cancel ? 'deregister' : 'register', artifact, version };
  return { kind: cancel ? 'unassign' : 'assign', artifact, stage };
}

/** GTO artifact `dir=name` (or `a/b`) → a registered-model name (semreg names cannot hold '/' or ':'). */
export function modelNameFor(artifact: string): string {
  const name = artifact.includes('=') ? artifact.slice(artifact.lastIndexOf('=') + 1) : artifact;
  return name.replace(/\//g, '-');
}

export interface GtoTag {
  tag: string;
  commit: string;
  /** Epoch ms: the tagger's date (creator date for lightweight tags). */
  time: number;
  action: GtoAction;
}

const ORDER: Record<GtoAction['kind'], number> = {
  register: 0,
  assign: 1,
  unassign: 2,
  deregister: 3,
  deprecate: 4,
};

export async function readGtoTags(repo: string): Promise<GtoTag[]> {
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)(
      'git',
      [
        '-C',
        repo,
        'for-each-ref',
        '--format=%(refname:strip=2)%09%(*objectname)%09%(objectname)%09%(creatordate:unix)',
        'refs/tags',
      ],
      { maxBuffer: 64 * 1024 * 1024 },
    ));
  } catch (err) {
    throw new CliError(
      `Cannot read git tags of '${repo}': ${(err as Error).message.split('\n')[0]}`,
      EXIT.USAGE,
    );
  }
  const tags: GtoTag[] = [];
  for (const line of stdout.split('\n').filter(Boolean)) {
    const [tag, peeled, object, unix] = line.split('\t');
    const action = parseGtoTag(tag);
    // Annotated tags point at a tag object; the peeled name is the commit.
    if (action) tags.push({ tag, commit: peeled || object, time: Number(unix) * 1000, action });
  }
  // GTO orders its history by tag date; same-second tags keep register → assign → unassign → deregister.
  return tags.sort(
    (a, b) => a.time - b.time || ORDER[a.action.kind] - ORDER[b.action.kind] || a.tag.localeCompare(b.tag),
  );
}

interface ImportSummary {
  models: number;
  versions: number;
  assignments: number;
  skipped: string[];
}

export async function importGto(
  client: SemregClient,
  repo: string,
  log: (line: string) => void,
): Promise<ImportSummary> {
  const tags = await readGtoTags(repo);
  const summary: ImportSummary = { models: 0, versions: 0, assignments: 0, skipped: [] };
  const knownModels = new Set<string>();
  /** model → commit → semver of the version registered there */
  const byCommit = new Map<string, Map<string, string>>();
  const policies = (await client.json<{ models: Record<string, unknown> }>('GET', '/api/policies')).models;
  const stagesOf = new Map<string, Set<string>>();
  for (const t of tags) {
    if (t.action.kind === 'assign' || t.action.kind === 'unassign') {
      const model = modelNameFor(t.action.artifact);
      stagesOf.set(model, (stagesOf.get(model) ?? new Set()).add(t.action.stage));
    }
  }

  const at = (t: GtoTag) => ({ 'X-Semreg-Replay-Time': String(t.time) });
  const ensureModel = async (model: string, t: GtoTag): Promise<void> => {
    if (knownModels.has(model)) return;
    try {
      await client.json('POST', '/api/2.0/mlflow/registered-models/create', {
        body: { name: model, tags: [{ key: 'gto.imported_from', value: repo }] },
        headers: at(t),
      });
      summary.models += 1;
    } catch (err) {
      if (!(err instanceof CliError && /RESOURCE_ALREADY_EXISTS/.test(err.message))) throw err;
    }
    knownModels.add(model);
    // GTO keeps one version per stage and lets any stage follow any other.
    const stages = [...(stagesOf.get(model) ?? [])];
    if (stages.length && !policies[model]) {
      await client.json('PUT', '/api/policies', {
        body: {
          model,
          stages: [
            { name: 'None' },
            ...stages.map((name) => ({ name, capacity: 1, archive_previous: true })),
            { name: 'Archived' },
          ],
          transitions: [],
        },
      });
    }
  };
  const ensureVersion = async (model: string, semver: string, t: GtoTag): Promise<void> => {
    try {
      await client.json('POST', '/api/2.0/mlflow/model-versions/create', {
        body: {
          name: model,
          source: `mlflow-artifacts:/gto/${encodeURIComponent(model)}/${semver}`,
          tags: [
            { key: 'semver', value: semver },
            { key: 'gto.commit', value: t.commit },
            { key: 'gto.tag', value: t.tag },
          ],
        },
        headers: at(t),
      });
      summary.versions += 1;
    } catch (err) {
      if (!(err instanceof CliError && /RESOURCE_ALREADY_EXISTS/.test(err.message))) throw err;
    }
    byCommit.set(model, (byCommit.get(model) ?? new Map()).set(t.commit, semver));
  };

  for (const t of tags) {
    const model = modelNameFor(t.action.artifact);
    await ensureModel(model, t);
    switch (t.action.kind) {
      case 'register':
        await ensureVersion(model, t.action.version, t);
        break;
      case 'deregister':
        try {
          const mv = await client.json<{ model_versions: Array<{ version: string }> }>(
            'POST',
            '/api/2.0/mlflow/registered-models/get-latest-versions',
            {
              body: { name: model, stages: [t.action.version] },
            },
          );
          for (const v of mv.model_versions) {
            await client.json('DELETE', '/api/2.0/mlflow/model-versions/delete', {
              body: { name: model, version: v.version },
              headers: at(t),
            });
          }
        } catch (err) {
          if (!(err instanceof CliError && err.exitCode === EXIT.NOT_FOUND)) throw err;
          summary.skipped.push(`${t.tag}: version already gone`);
        }
        break;
      case 'assign':
      case 'unassign': {
        let semver = byCommit.get(model)?.get(t.commit);
        if (!semver) {
          semver = `0.0.0-commit-${t.commit.slice(0, 12)}`;
          await ensureVersion(model, semver, t);
        }
        if (t.action.kind === 'unassign') {
          // Unassigning takes the stage away only if the version still holds it.
          const { model_versions: found } = await client.json<{
            model_versions: Array<{ current_stage: string }>;
          }>('POST', '/api/2.0/mlflow/registered-models/get-latest-versions', {
            body: { name: model, stages: [semver] },
          });
          if (found[0]?.current_stage.toLowerCase() !== t.action.stage.toLowerCase()) break;
        }
        const stage = t.action.kind === 'assign' ? t.action.stage : 'None';
        await client.json('POST', `/api/models/${encodeURIComponent(model)}/promote`, {
          body: { stage, semver },
          headers: at(t),
        });
        summary.assignments += 1;
        break;
      }
      case 'deprecate':
        await client.json('POST', '/api/2.0/mlflow/registered-models/set-tag', {
          body: { name: model, key: 'gto.deprecated', value: new Date(t.time).toISOString() },
          headers: at(t),
        });
        break;
    }
    log(`${new Date(t.time).toISOString()}  ${t.tag}`);
  }
  return summary;
}
