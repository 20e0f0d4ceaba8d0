import crypto from 'node:crypto';
import { artifactUriToKey } from '../artifacts/artifact-uri';
import type { Config } from '../config';
import type { Queryable } from '../db/knex';
import { MlflowError, notFound } from '../errors';
import { findRegisteredModel } from '../registry/registered-models';
import { validateModelName } from '../registry/validation';
import type { ArtifactStore } from '../storage/artifact-store';
import { attachmentDisposition, BINARY_TYPE } from '../storage/download-headers';
import { normaliseRelativePath } from '../storage/safe-path';
import { findStoredFile, storedFilesBelow } from '../storage/stored-files';
import { selectVersion, VersionSelector } from './version-selector';

/**
 * Signed download links (Studio's get-download-uris, for any model): `GET /api/models/<name>/download-uris`
 * answers `{"<file path>": "<absolute URL>"}`; each URL works without a token until it expires. The
 * signature is the only credential, so it is checked (in constant time) before anything is looked up.
 *
 * A link is bound to the file it was made for, not to a name: it signs the registered model's id (never
 * reused) and the file's sha256 with the name, version, path and expiry. Once the model is deleted (even if
 * the name is created again), the version deleted or the file replaced, the link answers 404.
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
  /** The registered model's id: a re-created model of the same name has another. */
  modelId: number;
  version: number;
  path: string;
  sha256: string;
  /** Unix seconds. */
  expires: number;
}

/** NUL separates the fields: none of them may contain it, so no two different files share a message. */
export function signDownload(config: Config, file: SignedFile): string {
  const fields = [file.name, file.modelId, file.version, file.path, file.sha256, file.expires];
  return crypto
    .createHmac('sha256', signingKey(config))
    .update(['semreg-download-v2', ...fields].join('\0'))
    .digest('base64url');
}

function forbidden(message: string): MlflowError {
  return new MlflowError('PERMISSION_DENIED', message);
}

function gone(): MlflowError {
  return notFound('The file this download link was made for no longer exists; ask for new links.');
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
  const query = `model_id=${file.modelId}&sha256=${file.sha256}&expires=${expires}&signature=${signature}`;
  return `${baseUrl}${SIGNED_DOWNLOAD_PREFIX}${encodeURIComponent(file.name)}/${file.version}/${encodePath(file.path)}?${query}`;
}

const MAX_FILES = 10_000;

export interface VersionFiles {
  name: string;
  modelId: number;
  version: number;
  /** The store key the files live under; the caller authorizes its owner before handing out links. */
  prefix: string;
  files: Array<{ path: string; sha256: string }>;
}

/** The version a selector picks and its files, as the store's records describe them (with their sha256). */
export async function versionFiles(
  db: Queryable,
  name: string,
  selector: VersionSelector,
): Promise<VersionFiles> {
  validateModelName(name);
  const model = await findRegisteredModel(db, name);
  const version = await selectVersion(db, model, selector);
  const prefix = await artifactUriToKey(db, version.storage_location ?? version.source);
  const rows = await storedFilesBelow(db, prefix, MAX_FILES + 1);
  if (rows.length > MAX_FILES)
    throw new MlflowError('RESOURCE_EXHAUSTED', `The version has more than ${MAX_FILES} files.`);
  return {
    name,
    modelId: model.id,
    version: version.version,
    prefix,
    files: rows.map((row) => ({ path: row.key.slice(prefix.length + 1), sha256: row.sha256 })),
  };
}

/**
 * One link per file. With `ARTIFACT_DOWNLOADS=redirect` (an S3 store clients can reach) the links are
 * presigned URLs of the store itself, so the bytes never pass through semreg; they expire like ours and
 * carry the recorded sha256, but, being the store's, keep working until then if the version is deleted.
 */
export async function downloadUris(
  config: Config,
  store: ArtifactStore,
  baseUrl: string,
  found: VersionFiles,
): Promise<Record<string, string>> {
  const now = Date.now();
  const links: Record<string, string> = {};
  for (const file of found.files) {
    if (config.artifactDownloads === 'redirect' && store.presignGet) {
      const name = file.path.split('/').pop()!;
      links[file.path] = await store.presignGet(
        `${found.prefix}/${file.path}`,
        config.downloadLinkTtlSeconds,
        { contentType: BINARY_TYPE, contentDisposition: attachmentDisposition(name), sha256: file.sha256 },
      );
      continue;
    }
    links[file.path] = signedUrl(
      config,
      baseUrl,
      { name: found.name, modelId: found.modelId, version: found.version, ...file },
      now,
    );
  }
  return links;
}

export interface SignedRequest {
  name: string;
  version: string;
  path: string;
  model_id: unknown;
  sha256: unknown;
  expires: unknown;
  signature: unknown;
}

// One spelling per value: `/01/` or `/1.0/` are not version 1, and every field is what signedUrl wrote.
const CANONICAL_NUMBER = /^[1-9][0-9]{0,14}$/;
const SHA256 = /^[0-9a-f]{64}$/;

function field(value: unknown, format: RegExp): string {
  if (typeof value !== 'string' || !format.test(value)) throw forbidden('The download link is invalid.');
  return value;
}

/** Checks a signed request and returns the file it names, as stored now; 404 once that file is gone. */
export async function resolveSignedDownload(
  db: Queryable,
  config: Config,
  request: SignedRequest,
): Promise<{ key: string; size: number; sha256: string; createdAt: number }> {
  const file: SignedFile = {
    name: request.name,
    modelId: Number(field(request.model_id, CANONICAL_NUMBER)),
    version: Number(field(request.version, CANONICAL_NUMBER)),
    path: request.path,
    sha256: field(request.sha256, SHA256),
    expires: Number(field(request.expires, CANONICAL_NUMBER)),
  };
  verifyDownload(config, file, typeof request.signature === 'string' ? request.signature : '');
  const path = normaliseRelativePath(request.path);
  if (!path) throw notFound('The download link names no file.');
  const version = await db('model_versions')
    .where({ registered_model_id: file.modelId, version: file.version })
    .first('storage_location', 'source');
  if (!version) throw gone();
  const key = `${await artifactUriToKey(db, version.storage_location ?? version.source)}/${path}`;
  const stored = await findStoredFile(db, key);
  if (!stored || stored.sha256 !== file.sha256) throw gone();
  return { key: stored.key, size: stored.size, sha256: stored.sha256, createdAt: stored.createdAt };
}
