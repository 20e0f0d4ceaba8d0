import type { S3Destination } from '../config';
import type { Queryable } from '../db/knex';
import { invalidParameter, notFound } from '../errors';
import { ownerOfKey } from '../storage/key-space';
import { normaliseRelativePath } from '../storage/safe-path';
import { findLoggedModelArtifactUri } from '../tracking/logged-models';
import { parseVersionNumber, validateModelName } from './validation';

/**
 * Model-version `source` validation and resolution (mlflow-compat.md §3.7, §7). Accepted: URIs inside
 * semreg — `mlflow-artifacts:/<path>` (no host), `models:/m-<id>`, `models:/<name>/<version>`,
 * `runs:/<run_id>/<path>` (not looked up, as in the reference), `s3://` objects of this server's own S3
 * store — and files of object stores semreg does not serve (`s3://`, `gs://`, `wasbs://`, `dbfs:/`), stored
 * as given. `file:` in every form, local paths, schemes that address a host and every other scheme are
 * refused — on every code path, prompts included (skipping this for prompts caused two MLflow CVEs).
 */
export interface ResolvedSource {
  /** The source as stored and returned (canonical form). */
  source: string;
  /** Where the files are: what get-download-uri returns. */
  storageLocation: string;
  /** For a source in this server's own store (`mlflow-artifacts:/`, own `s3://`): its path below the root. */
  storePath?: string;
  /** For a version folder of package storage: the registered model whose folder it is. */
  packageOwnerId?: number;
  /** Taken from a logged model's source run when the request has no run_id. */
  runId?: string;
  loggedModelId?: string;
}

const LOGGED_MODEL_ID_RE = /^m-[0-9a-f]{32}$/;
const RUN_ID_RE = /^[a-zA-Z0-9][\w-]{0,255}$/;
const MAX_SOURCE = 4000;

function refuse(source: string, why: string): never {
  throw invalidParameter(`Invalid model version source '${source.slice(0, 300)}': ${why}.`);
}

/**
 * The path of an `mlflow-artifacts:` URI, normalised by the one path guard; refuses a host part and package
 * storage as a whole (`packages` or `packages/<id>`), whatever the spelling: the guard has decoded and
 * collapsed it already. A version folder of package storage comes back with the model that owns it, which
 * `refuseOtherModelsPackages` compares with the version's own once that model is locked.
 */
function artifactPath(source: string, rest: string): Pick<ResolvedSource, 'storePath' | 'packageOwnerId'> {
  if (rest.startsWith('//'))
    refuse(source, "mlflow-artifacts URIs must not name a host: use 'mlflow-artifacts:/<path>'");
  if (/[?#]/.test(rest)) refuse(source, "'?' and '#' are not allowed");
  const path = normaliseRelativePath(rest.replace(/^\/+/, ''));
  if (path === '') refuse(source, 'it names the artifact root itself');
  const owner = ownerOfKey(path);
  if (owner.kind === 'package-space' || (owner.kind === 'registered-model' && owner.depth < 3))
    refuse(source, 'it names package storage as a whole; name one version folder of this model');
  return { storePath: path, packageOwnerId: owner.kind === 'registered-model' ? owner.id : undefined };
}

/** A source names package files of the model the version is created in only (its id known once locked). */
export function refuseOtherModelsPackages(
  source: string,
  resolved: ResolvedSource,
  registeredModelId: number,
): void {
  if (resolved.packageOwnerId !== undefined && resolved.packageOwnerId !== registeredModelId)
    refuse(source, "it names another registered model's package files; use models:/<name>/<version>");
}

/**
 * Schemes whose MLflow artifact repositories connect to the host the URI names (MLflow's `host_policy.py`):
 * refused as the reference refuses them, with its message. (`mlflow-artifacts://host` is refused above.)
 */
const HOST_ADDRESSED_SCHEMES = new Set([
  'ftp',
  'sftp',
  'hdfs',
  'viewfs',
  'http',
  'https',
  'r2',
  'b2',
  'abfss',
]);

/**
 * A file in an object store semreg does not serve (another bucket, GCS, Azure Blob, DBFS): stored as given,
 * as the reference stores it; the client reads it with its own credentials, and semreg refuses to read it
 * (artifact-uri.ts). Relative segments and NUL are refused, decoded or not, with the reference's words.
 */
function objectStoreSource(source: string): ResolvedSource {
  let decoded = source;
  for (let round = 0; round < 10; round += 1) {
    let next: string;
    try {
      next = decodeURIComponent(decoded.replace(/\+/g, ' '));
    } catch {
      break;
    }
    if (next === decoded) break;
    decoded = next;
  }
  const segments = decoded.split('/');
  if (decoded.includes('\0') || segments.some((segment) => segment === '..' || segment === '.'))
    throw invalidParameter(
      `Invalid model version source: '${source.slice(0, 300)}'. If supplying a source as an http, https, local file path, ftp, objectstore, or mlflow-artifacts uri, an absolute path must be provided without relative path references present. Please provide an absolute path.`,
    );
  return { source, storageLocation: source };
}

type DownloadUriLookup = (db: Queryable, name: string, version: number) => Promise<string>;

/**
 * The path below this server's own S3 store of an `s3://bucket/prefix/<path>` URI (what a client that
 * logged straight to the bucket registers), as `/<path>`; undefined for any other bucket or prefix.
 */
function ownObjectPath(rest: string, store: S3Destination | undefined): string | undefined {
  if (!store) return undefined;
  const root = `//${store.bucket}/${store.prefix ? `${store.prefix}/` : ''}`;
  return rest.startsWith(root) ? `/${rest.slice(root.length)}` : undefined;
}

export interface SourceContext {
  /** The S3 store, whose `s3://` URIs resolve to the same files as `mlflow-artifacts:/`. */
  readonly store?: S3Destination;
  /** A prompt version (tag `mlflow.prompt.is_prompt`): no object-store source, as in the reference. */
  readonly prompt?: boolean;
}

/**
 * Needs no lock and not the version's model: what depends on that model is checked by
 * `refuseOtherModelsPackages` once it is locked.
 */
export async function resolveSource(
  db: Queryable,
  source: string,
  lookupDownloadUri: DownloadUriLookup,
  context: SourceContext = {},
): Promise<ResolvedSource> {
  const { store } = context;
  const objectStore = () =>
    context.prompt
      ? refuse(source, 'a prompt version cannot take an object-store source')
      : objectStoreSource(source);
  if (source.length > MAX_SOURCE) refuse(source, `it is longer than ${MAX_SOURCE} characters`);
  if (/[\u0000-\u001f\u007f]/.test(source))
    refuse(source, 'control characters (NUL included) are not allowed');
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):(.*)$/s.exec(source);
  if (!scheme)
    refuse(source, 'local paths are not accepted; use an mlflow-artifacts:/, models:/ or runs:/ URI');
  const [, rawScheme, rest] = scheme;

  switch (rawScheme) {
    case 'mlflow-artifacts': {
      const found = artifactPath(source, rest);
      const location = `mlflow-artifacts:/${found.storePath}`;
      return { source: location, storageLocation: location, ...found };
    }
    case 's3': {
      const path = ownObjectPath(rest, store);
      if (path === undefined) return objectStore();
      const found = artifactPath(source, path);
      return { source, storageLocation: `mlflow-artifacts:/${found.storePath}`, ...found };
    }
    case 'gs':
    case 'wasbs':
    case 'dbfs':
      return objectStore();
    case 'models': {
      if (!rest.startsWith('/') || rest.startsWith('//'))
        refuse(source, "expected 'models:/<model_id>' or 'models:/<name>/<version>'");
      const parts = rest.slice(1).split('/');
      if (parts.length === 1 && LOGGED_MODEL_ID_RE.test(parts[0])) {
        const logged = await findLoggedModelArtifactUri(db, parts[0]);
        if (!logged) throw notFound(`Logged model with id=${parts[0]} not found`);
        return {
          source,
          storageLocation: logged.artifactUri,
          runId: logged.sourceRunId,
          loggedModelId: parts[0],
        };
      }
      if (parts.length === 2 && /^\d+$/.test(parts[1])) {
        const name = validateModelName(parts[0]);
        return { source, storageLocation: await lookupDownloadUri(db, name, parseVersionNumber(parts[1])) };
      }
      return refuse(source, "expected 'models:/m-<32 hex>' or 'models:/<name>/<integer version>'");
    }
    case 'runs': {
      const match = /^\/([^/]+)(?:\/(.*))?$/s.exec(rest);
      if (!match || !RUN_ID_RE.test(match[1])) refuse(source, "expected 'runs:/<run_id>/<path>'");
      const path = normaliseRelativePath(match[2] ?? '');
      if (/[?#]/.test(match[2] ?? '')) refuse(source, "'?' and '#' are not allowed");
      // As the reference: the run is not looked up (it may live on another tracking server), and
      // get-download-uri answers the `runs:/` URI, which the client resolves through runs/get. Reads through
      // the version resolve it when they happen, and fail cleanly (404) while the run does not exist.
      const location = `runs:/${match[1]}${path ? `/${path}` : ''}`;
      return { source: location, storageLocation: location };
    }
    default:
      if (HOST_ADDRESSED_SCHEMES.has(rawScheme.toLowerCase()))
        throw invalidParameter(
          `'source' cannot use the '${rawScheme}' scheme: the '${rawScheme}' scheme addresses a host other than the tracking server's configured artifact storage, so the server would connect to the host named in the URI.`,
        );
      return refuse(
        source,
        `the '${rawScheme}:' scheme is not accepted; use an mlflow-artifacts:/, models:/, runs:/ or an object-store (s3://, gs://, wasbs://, dbfs:/) URI`,
      );
  }
}

const lineageMismatch = (source: string, field: string) =>
  invalidParameter(
    `Invalid model version source: '${source.slice(0, 300)}'. The ${field} request parameter must identify the resource that contains the source.`,
  );

/**
 * The lineage rules of MLflow's `_validate_source_run`/`_resolve_registered_model_source_lineage` that a
 * request can break by itself: a `runs:/<id>/…` source needs `run_id` = `<id>` and no `model_id`, a
 * `models:/m-<id>` source needs `model_id` = `m-<id>`, and a copied `models:/<name>/<version>` takes the
 * `run_id` and `model_id` of the version it copies. The reference's messages.
 */
export async function checkSourceLineage(
  db: Queryable,
  source: string,
  runId: string | undefined,
  modelId: string | undefined,
): Promise<void> {
  const run = /^runs:\/([^/]+)(?:\/|$)/.exec(source);
  if (run && (modelId || runId !== run[1])) throw lineageMismatch(source, modelId ? 'model_id' : 'run_id');
  const logged = /^models:\/(m-[0-9a-f]{32})$/.exec(source);
  if (logged && modelId !== logged[1]) throw lineageMismatch(source, 'model_id');
  const copy = /^models:\/([^/]+)\/(\d+)$/.exec(source);
  if (!copy || LOGGED_MODEL_ID_RE.test(copy[1]) || (runId === undefined && modelId === undefined)) return;
  const origin: { run_id: string | null; logged_model_id: string | null } | undefined = await db(
    'model_versions as mv',
  )
    .join('registered_models as rm', 'rm.id', 'mv.registered_model_id')
    .where({ 'rm.name': copy[1], 'mv.version': Number(copy[2]) })
    .first('mv.run_id', 'mv.logged_model_id');
  if (!origin) return; // resolveSource answers the missing version
  const differs = (given: string | undefined, actual: string | null) =>
    given !== undefined && given !== (actual ?? '');
  if (differs(runId, origin.run_id) || differs(modelId, origin.logged_model_id))
    throw invalidParameter(
      `Invalid model version source: '${source.slice(0, 300)}'. The run_id and model_id request parameters must match the referenced model version.`,
    );
}

/** The artifact root of an existing run or logged model, by id (undefined when there is none). */
async function artifactRoot(
  db: Queryable,
  kind: 'run_id' | 'model_id',
  id: string,
): Promise<string | undefined> {
  const row: { root: string } | undefined =
    kind === 'run_id'
      ? await db('runs').where({ run_uuid: id }).first('artifact_uri as root')
      : await db('logged_models').where({ model_id: id }).first('artifact_uri as root');
  return row?.root;
}

/** The reference's `_is_uri_within_root`, for roots semreg allocated (`mlflow-artifacts:/<path>`). */
function isWithinRoot(path: string, root: string): boolean {
  const rootPath = /^mlflow-artifacts:\/(?!\/)(.*)$/s.exec(root)?.[1];
  if (rootPath === undefined) return false;
  const rootParts = normaliseRelativePath(rootPath).split('/').filter(Boolean);
  const parts = path.split('/');
  return rootParts.length > 0 && rootParts.every((part, i) => parts[i] === part);
}

/**
 * The run or logged model whose files an artifact path names: semreg allocates every root itself, as
 * `<experiment>/<run_id>/artifacts` and `<experiment>/models/<model_id>/artifacts`.
 */
function ownerOfArtifactPath(path: string): { kind: 'run_id' | 'model_id'; id: string } | undefined {
  const parts = path.split('/');
  if (parts[1] === 'models' && LOGGED_MODEL_ID_RE.test(parts[2] ?? '') && parts[3] === 'artifacts')
    return { kind: 'model_id', id: parts[2] };
  if (parts[2] === 'artifacts' && RUN_ID_RE.test(parts[1] ?? '')) return { kind: 'run_id', id: parts[1] };
  return undefined;
}

/**
 * MLflow 3.17's rule for sources in the server's own artifact store (`_validate_source_run` and
 * `_validate_source_model`): the request's `model_id` (else its `run_id`) must name an existing logged model
 * (run) whose artifact root contains the source, or anyone allowed to create a version could register any
 * run's files under a model of theirs. One relaxation, for sources made by hand or by `semreg import-gto`: a
 * request with neither id may name a path that holds no run's or logged model's files. `path` is the
 * normalised path below the store's root; package folders are checked by `resolveSource`.
 */
export async function checkArtifactLineage(
  db: Queryable,
  source: string,
  path: string,
  runId: string | undefined,
  modelId: string | undefined,
): Promise<void> {
  if (ownerOfKey(path).kind !== 'tracking') return;
  const claimed: { kind: 'run_id' | 'model_id'; id: string } | undefined = modelId
    ? { kind: 'model_id', id: modelId }
    : runId
      ? { kind: 'run_id', id: runId }
      : undefined;
  if (claimed) {
    const root = await artifactRoot(db, claimed.kind, claimed.id);
    if (root === undefined || !isWithinRoot(path, root)) throw lineageMismatch(source, claimed.kind);
    return;
  }
  const owner = ownerOfArtifactPath(path);
  if (owner && (await artifactRoot(db, owner.kind, owner.id)) !== undefined)
    throw lineageMismatch(source, 'run_id');
}

/**
 * The registered models a source reads through (`models:/<name>/<version>`): the caller must be allowed to
 * read them, or registering such a version would let it read another team's files through its own model.
 * Exactly the form `resolveSource` looks up as a registered model, whatever the name looks like: a model
 * may be named like a logged model's id (`m-<32 hex>`), and only `models:/<id>` alone is a logged model.
 */
export function modelsNamedBySource(source: string): string[] {
  const match = /^models:\/([^/]+)\/\d+$/.exec(source);
  return match ? [match[1]] : [];
}
