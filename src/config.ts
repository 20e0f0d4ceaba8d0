import path from 'node:path';
import { DEFAULT_CLUSTER_ROOT } from './db/cluster-location';

/**
 * Every setting semreg reads, parsed once from the environment. Nothing else in the code base reads
 * `process.env`, so tests can build apps with different settings side by side.
 */
export interface Config {
  readonly port: number;
  /** Serve `/metrics` on 127.0.0.1:<this port> without a token instead of on `port`; 0 = off. */
  readonly metricsPort: number;
  readonly host: string;
  /** Unset → `main.ts` starts an embedded PostgreSQL under `dataDir/postgres`. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  /** Where embedded clusters go that the `postgres` user cannot reach inside DATA_DIR (running as root). */
  readonly embeddedPostgresRoot: string;
  /** Root of every stored artifact and package file on local disk (when there is no S3 store). */
  readonly artifactRoot: string;
  /** `ARTIFACTS_DESTINATION=s3://bucket/prefix`: every byte goes to that S3-compatible store instead. */
  readonly artifactsDestination: S3Destination | undefined;
  /** `redirect`: downloads answer 302 to a presigned URL of the object store (S3 store only). */
  readonly artifactDownloads: 'proxy' | 'redirect';
  readonly logLevel: string;
  /** `AUTH=on` turns token checks on for every route. */
  readonly authEnabled: boolean;
  readonly adminToken: string | undefined;
  readonly maxArtifactBytes: number;
  readonly maxPackageFileBytes: number;
  /** JSON request bodies held in memory at once, all requests together; past it new ones get 503. */
  readonly maxJsonInflightBytes: number;
  /** A JSON request body with no byte for this long is cut off with 408. */
  readonly bodyIdleTimeoutMs: number;
  /** Extra `Host` header values accepted besides loopback names and `host:port` (DNS-rebinding guard). */
  readonly allowedHosts: readonly string[];
  /** Origins allowed to make state-changing calls from a browser. */
  readonly allowedOrigins: readonly string[];
  /** Base URL used when the server must hand out absolute links (signed downloads). */
  readonly publicUrl: string | undefined;
  /** Secret for signed download links; random per process when unset (links then die with the process). */
  readonly signingSecret: string | undefined;
  readonly downloadLinkTtlSeconds: number;
  readonly webhookAllowPrivate: boolean;
  readonly stagePolicyFile: string | undefined;
  /** On SIGTERM/SIGINT, requests in flight get this long to finish before their connections are cut. */
  readonly shutdownGraceMs: number;
  /** Disables the background webhook worker (tests drive it by hand). */
  readonly webhookWorkerEnabled: boolean;
  /** MLflow's GraphQL guards: root fields and aliases (in one selection set) a document may have. */
  readonly graphqlMaxRootFields: number;
  readonly graphqlMaxAliases: number;
  /**
   * MLflow's own web UI (`<site-packages>/mlflow/server/js/build`), served at `/mlflow/`: a folder,
   * `'off'`, or undefined to look for the `mlflow` package of `python3` (on the first visit, logged).
   */
  readonly mlflowUiDir: string | undefined;
}

export interface S3Destination {
  readonly bucket: string;
  /** Without leading or trailing `/`; `''` for the whole bucket. */
  readonly prefix: string;
  /** `S3_ENDPOINT_URL` (or MLflow's `MLFLOW_S3_ENDPOINT_URL`): a non-AWS store; unset → AWS. */
  readonly endpoint: string | undefined;
  readonly forcePathStyle: boolean;
  /** `AWS_REGION`, else `AWS_DEFAULT_REGION` (which the JavaScript SDK alone would not read). */
  readonly region: string | undefined;
  /**
   * From `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN` when set; otherwise undefined and
   * the SDK's default chain finds them (`AWS_PROFILE` and shared config, web identity/IRSA, instance roles).
   */
  readonly credentials: S3Credentials | undefined;
  /** `S3_UPLOAD_BUFFER_BYTES`: part buffers all uploads into the store may hold at once (`UploadBuffers`). */
  readonly uploadBufferBytes: number;
}

export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

type Env = Record<string, string | undefined>;

const MiB = 1024 ** 2;
const GiB = 1024 * MiB;

function integer(env: Env, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) {
    throw new Error(`${name} must be an integer >= ${min}, got '${raw}'`);
  }
  return value;
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const normalised = raw.toLowerCase();
  if (['1', 'true', 'on', 'yes'].includes(normalised)) return true;
  if (['0', 'false', 'off', 'no'].includes(normalised)) return false;
  throw new Error(`${name} must be on/off (or true/false), got '${raw}'`);
}

function list(env: Env, name: string): string[] {
  return (env[name] ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

// S3 bucket naming rules (3–63 lower-case letters, digits, dots and hyphens), not AWS's full list of
// exceptions: the store itself refuses the rest at start-up.
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function s3Destination(env: Env): S3Destination | undefined {
  const raw = env.ARTIFACTS_DESTINATION;
  if (!raw) return undefined;
  const match = /^s3:\/\/([^/]+)\/*(.*?)\/*$/.exec(raw);
  if (!match) throw new Error(`ARTIFACTS_DESTINATION must be s3://bucket[/prefix], got '${raw}'`);
  const [, bucket, prefix] = match;
  if (!BUCKET.test(bucket)) throw new Error(`ARTIFACTS_DESTINATION names an invalid bucket '${bucket}'`);
  const badSegment = (segment: string) => segment === '' || segment === '.' || segment === '..';
  if (prefix !== '' && prefix.split('/').some(badSegment))
    throw new Error(`ARTIFACTS_DESTINATION has an invalid prefix '${prefix}'`);
  const endpoint = env.S3_ENDPOINT_URL || env.MLFLOW_S3_ENDPOINT_URL || undefined;
  if (endpoint && !/^https?:\/\/[^/]+/.test(endpoint))
    throw new Error(`S3_ENDPOINT_URL must be an http(s) URL, got '${endpoint}'`);
  return Object.freeze({
    bucket,
    prefix,
    endpoint,
    forcePathStyle: flag(env, 'S3_FORCE_PATH_STYLE', endpoint !== undefined),
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined,
    credentials:
      env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
        ? {
            accessKeyId: env.AWS_ACCESS_KEY_ID,
            secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
            sessionToken: env.AWS_SESSION_TOKEN || undefined,
          }
        : undefined,
    uploadBufferBytes: integer(env, 'S3_UPLOAD_BUFFER_BYTES', 128 * MiB, 1),
  });
}

function artifactDownloads(env: Env, destination: S3Destination | undefined): 'proxy' | 'redirect' {
  const raw = env.ARTIFACT_DOWNLOADS || 'proxy';
  if (raw !== 'proxy' && raw !== 'redirect')
    throw new Error(`ARTIFACT_DOWNLOADS must be proxy or redirect, got '${raw}'`);
  if (raw === 'redirect' && !destination)
    throw new Error('ARTIFACT_DOWNLOADS=redirect needs an S3 store (ARTIFACTS_DESTINATION=s3://…)');
  return raw;
}

export function loadConfig(env: Env = process.env): Config {
  const dataDir = path.resolve(env.DATA_DIR || './data');
  const destination = s3Destination(env);
  return Object.freeze({
    port: integer(env, 'PORT', 5000),
    metricsPort: integer(env, 'METRICS_PORT', 0),
    host: env.HOST || '127.0.0.1',
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir,
    embeddedPostgresRoot: path.resolve(env.EMBEDDED_POSTGRES_ROOT || DEFAULT_CLUSTER_ROOT),
    artifactRoot: path.resolve(env.ARTIFACT_ROOT || path.join(dataDir, 'artifacts')),
    artifactsDestination: destination,
    artifactDownloads: artifactDownloads(env, destination),
    logLevel: env.LOG_LEVEL || 'info',
    authEnabled: flag(env, 'AUTH', false),
    adminToken: env.ADMIN_TOKEN || undefined,
    maxArtifactBytes: integer(env, 'MAX_ARTIFACT_BYTES', 5 * GiB, 1),
    maxPackageFileBytes: integer(env, 'MAX_PACKAGE_FILE_BYTES', 5 * GiB, 1),
    maxJsonInflightBytes: integer(env, 'MAX_JSON_INFLIGHT_BYTES', 256 * MiB, 1),
    bodyIdleTimeoutMs: integer(env, 'BODY_IDLE_TIMEOUT_SECONDS', 30, 1) * 1000,
    allowedHosts: Object.freeze(list(env, 'ALLOWED_HOSTS')),
    allowedOrigins: Object.freeze(list(env, 'ALLOWED_ORIGINS')),
    publicUrl: env.PUBLIC_URL ? env.PUBLIC_URL.replace(/\/+$/, '') : undefined,
    signingSecret: env.SIGNING_SECRET || undefined,
    downloadLinkTtlSeconds: integer(env, 'DOWNLOAD_LINK_TTL_SECONDS', 3600, 1),
    webhookAllowPrivate: flag(env, 'WEBHOOK_ALLOW_PRIVATE', false),
    stagePolicyFile: env.STAGE_POLICY_FILE || undefined,
    webhookWorkerEnabled: flag(env, 'WEBHOOK_WORKER', true),
    shutdownGraceMs: integer(env, 'SHUTDOWN_GRACE_SECONDS', 25) * 1000,
    // MLflow's own variable names and defaults, so a setting carries over from a reference server.
    graphqlMaxRootFields: integer(env, 'MLFLOW_SERVER_GRAPHQL_MAX_ROOT_FIELDS', 10, 1),
    graphqlMaxAliases: integer(env, 'MLFLOW_SERVER_GRAPHQL_MAX_ALIASES', 10, 0),
    mlflowUiDir:
      !env.MLFLOW_UI_DIR || env.MLFLOW_UI_DIR === 'off'
        ? env.MLFLOW_UI_DIR || undefined
        : path.resolve(env.MLFLOW_UI_DIR),
  });
}
