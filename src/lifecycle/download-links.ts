import crypto from 'node:crypto';
import type { Config } from '../config';
import type { Queryable } from '../db/knex';
import { MlflowError, notFound } from '../errors';
import { getModelVersionDownloadUri } from '../registry/model-versions';
import { findRegisteredModel } from '../registry/registered-models';
import { validateModelName } from '../registry/validation';
import type { ArtifactStore } from '../storage/artifact-store';
import { normaliseRelativePath } from '../storage/safe-path';
import { selectVersion, VersionSelector } from './version-selector';

/**
 * Signed download links (Studio's get-download-uris, for any model): `GET /api/models/<name>/download-uris`
 * answers `{"<file path>": "<absolute URL>"}`; each URL names model, version and file, carries an expiry and
 * an HMAC-SHA256 over all of them, and works without a token until it expires. The signature is the only
 * credential, so it is checked (in constant time) before anything is looked up.
 */
export const SIGNED_DOWNLOAD_PREFIX = '/api/downloads/';

/** For the auth middleware: these GETs carry their own credential (the signature) and need no token. */
export function isSignedDownloadPath(path: string): boolean {
  return path.startsWith(SIGNED_DOWNLOAD_PREFIX);
}

// Without SIGNING_SECRET the key is random per process: links then die with the process (documented).
const PROCESS_KEY = crypto.randomBytes(32);

function signingKey(config: Config): Buffer {
  return config.signingSecret ? Buffer.from(config.signingSecret, 'utf8') : PROCESS_KEY;
}

export interface SignedFile {
  name: string;
  version: number;
  path: string;
  /** Unix seconds. */
  expires: number;
}

/** NUL separates the fields: none of them may contain it, so no two different files share a message. */
export function signDownload(config: Config, file: SignedFile): string {
  return crypto
    .createHmac('sha256', signingKey(config))
    .update(`semreg-download\0${file.name}\0${file.version}\0${file.path}\0${file.expires}`)
    .digest('base64url');
}

function forbidden(message: string): MlflowError {
  return new MlflowError('PERMISSION_DENIED', message);
}

export function verifyDownload(
  config: Config,
  file: SignedFile,
  signature: string,
  nowMs = Date.now(),
): void {
  const expected = Buffer.from(signDownload(config, file));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !crypto.timingSafeEqual(expected, given)) {
    throw forbidden('The download link is invalid: its signature does not match.');
  }
  if (file.expires * 1000 < nowMs)
    throw forbidden('The download link has expired; ask for new ones with download-uris.');
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

export function signedUrl(
  config: Config,
  baseUrl: string,
  file: Omit<SignedFile, 'expires'>,
  nowMs = Date.now(),
): string {
  const expires = Math.floor(nowMs / 1000) + config.downloadLinkTtlSeconds;
  const signature = signDownload(config, { ...file, expires });
  return `${baseUrl}${SIGNED_DOWNLOAD_PREFIX}${encodeURIComponent(file.name)}/${file.version}/${encodePath(file.path)}?expires=${expires}&signature=${signature}`;
}

const ARTIFACTS_SCHEME = 'mlflow-artifacts:';
const MAX_FILES = 10_000;

/** The artifact-store key under which a version's files live (its resolved mlflow-artifacts: location). */
export async function versionStorageKey(db: Queryable, name: string, version: number): Promise<string> {
  const uri = await getModelVersionDownloadUri(db, name, version);
  if (!uri.startsWith(ARTIFACTS_SCHEME)) {
    throw new MlflowError(
      'INVALID_STATE',
      `Version ${version} of '${name}' is stored at ${uri}, outside semreg's artifact store.`,
      400,
    );
  }
  // mlflow-artifacts:/a/b and mlflow-artifacts://host/a/b both name a/b under the root.
  const rest = uri.slice(ARTIFACTS_SCHEME.length).replace(/^\/\/[^/]*/, '');
  return normaliseRelativePath(rest.replace(/^\/+/, ''));
}

/** Every file under `prefix`, as paths relative to it, depth first in name order. */
export async function listFilesRecursively(
  store: ArtifactStore,
  prefix: string,
): Promise<Array<{ path: string; size?: number }>> {
  const files: Array<{ path: string; size?: number }> = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await store.list(dir ? `${prefix}/${dir}` : prefix)) {
      const rel = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDir) await walk(rel);
      else files.push({ path: rel, size: entry.size });
      if (files.length > MAX_FILES)
        throw new MlflowError('RESOURCE_EXHAUSTED', `The version has more than ${MAX_FILES} files.`);
    }
  };
  await walk('');
  return files;
}

export async function downloadUris(
  db: Queryable,
  store: ArtifactStore,
  config: Config,
  baseUrl: string,
  name: string,
  selector: VersionSelector,
): Promise<Record<string, string>> {
  validateModelName(name);
  const model = await findRegisteredModel(db, name);
  const version = await selectVersion(db, model, selector);
  const prefix = await versionStorageKey(db, name, version.version);
  const now = Date.now();
  const links: Record<string, string> = {};
  for (const file of await listFilesRecursively(store, prefix)) {
    links[file.path] = signedUrl(config, baseUrl, { name, version: version.version, path: file.path }, now);
  }
  return links;
}

/** Checks a signed request and returns the store key of the file it names (a deleted version is 404). */
export async function resolveSignedDownload(
  db: Queryable,
  config: Config,
  request: { name: string; version: string; path: string; expires: string | number; signature: string },
): Promise<string> {
  const version = Number(request.version);
  const expires = Number(request.expires);
  if (!Number.isSafeInteger(version) || !Number.isSafeInteger(expires))
    throw forbidden('The download link is invalid.');
  verifyDownload(config, { name: request.name, version, path: request.path, expires }, request.signature);
  const path = normaliseRelativePath(request.path);
  if (!path) throw notFound('The download link names no file.');
  const prefix = await versionStorageKey(db, request.name, version);
  return `${prefix}/${path}`;
}
