import crypto from 'node:crypto';
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CiJob, ciJobColumns } from '../ci/ci-job';
import type { Db } from '../db/knex';
import { digestMismatch, fileTooLarge, invalidParameter, MlflowError } from '../errors';
import { createModelVersion } from '../registry/model-versions';
import { createRegisteredModel } from '../registry/registered-models';
import { deletedFileDigest } from '../registry/reserved-semvers';
import { currentEventContext, runWithEventContext } from '../lifecycle/event-context';
import { recordEvent } from '../lifecycle/events';
import type { ArtifactStore } from '../storage/artifact-store';
import { recordStoredFile } from '../storage/stored-files';
import { ExpectedDigests, md5Check } from './checksums';
import { fileJson, findPackageFile, PackageFileJson } from './package-files';
import {
  findRegisteredModelId,
  findVersionBySemver,
  isPackageVersion,
  notAPackage,
  PackageVersionRef,
  PackageVersionRow,
  versionRef,
} from './package-versions';
import { removeUnreferencedFiles } from './stale-files';
import { PackageCoordinates, packageDir, packageSource, parsePackagePath, semverText } from './target';
import { acquireUploadLock, LockKey, releaseUploadLock, versionLockScope } from './upload-lock';

/**
 * One upload request (a raw PUT of one file, or a multipart POST of several), in a fixed order so that a
 * failure anywhere leaves no row and no file (issue 5 "All writes are atomic"):
 *   1. `begin`: validate, find or create the registered model (the storage folder is named after its id);
 *   2. `addFile` per file: lock the path, then either stream the body into place through the store (temp
 *      file, size limit, sha256 and MD5 checked before the rename) or, when the path is already stored and
 *      no overwrite was asked for, only hash it: same bytes → unchanged (200), other bytes → 409;
 *   3. `commit`: one transaction creates the model version on the first upload and records every file;
 *   `abort` instead deletes what step 2 wrote and a registered model step 1 created.
 */
export interface PackageServices {
  db: Db;
  store: ArtifactStore;
  maxFileBytes: number;
}

export interface UploadOptions {
  overwrite: boolean;
  ciJob: CiJob;
  tokenId?: string;
}

export interface IncomingFile {
  rawPath: string;
  body: Readable;
  contentType?: string;
  expected: ExpectedDigests;
  /** The body's declared length (a raw PUT's `Content-Length`). */
  declaredBytes?: number;
}

export interface UploadResult {
  /** false when every file was already stored with the same bytes (an idempotent re-upload). */
  changed: boolean;
  files: PackageFileJson[];
  modelVersion: PackageVersionRef;
}

interface PendingFile {
  path: string;
  outcome: 'created' | 'replaced' | 'unchanged';
  key: string;
  size: number;
  sha256: string;
  contentType?: string;
}

export function alreadyStoredDifferently(path: string, where: string): MlflowError {
  // 409 rather than MLflow's 400 for this code: semreg's own API, and a released package is immutable.
  return new MlflowError(
    'RESOURCE_ALREADY_EXISTS',
    `'${path}' is already stored in ${where} with different bytes; released packages are immutable (an admin may use ?overwrite=true).`,
    409,
  );
}

function alreadyPublishedDifferently(path: string, where: string): MlflowError {
  return new MlflowError(
    'RESOURCE_ALREADY_EXISTS',
    `'${path}' was published in ${where} with different bytes and deleted; a published version is never reused for other content (publish a new version).`,
    409,
  );
}

/** Reads a body only to hash it (the re-upload of a stored path): nothing is written. */
async function hashBody(
  body: Readable,
  maxBytes: number,
): Promise<{ size: number; sha256: string; md5: string }> {
  const sha256 = crypto.createHash('sha256');
  const md5 = crypto.createHash('md5');
  let size = 0;
  await pipeline(
    body,
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        if (size > maxBytes) return callback(fileTooLarge(maxBytes));
        sha256.update(chunk);
        md5.update(chunk);
        callback();
      },
    }),
  );
  return { size, sha256: sha256.digest('hex'), md5: md5.digest('hex') };
}

function withMd5Check(body: Readable, expectedMd5: string | undefined): Readable {
  if (expectedMd5 === undefined) return body;
  const out = new PassThrough();
  // pipeline (not pipe) so that a client disconnect or a mismatch reaches the store as an error.
  pipeline(body, md5Check(expectedMd5), out).catch((err: Error) => out.destroy(err));
  return out;
}

export class PackageUpload {
  private readonly pending: PendingFile[] = [];
  private readonly locks: LockKey[] = [];
  private finished = false;
  private inflight: Promise<void> = Promise.resolve();

  private constructor(
    private readonly services: PackageServices,
    private readonly target: PackageCoordinates,
    private readonly options: UploadOptions,
    private readonly registeredModelId: number,
    private readonly createdModel: boolean,
    private readonly folderSemver: string,
  ) {}

  static async begin(
    services: PackageServices,
    target: PackageCoordinates,
    options: UploadOptions,
  ): Promise<PackageUpload> {
    let id = await findRegisteredModelId(services.db, target.name);
    let created = false;
    if (id === undefined) {
      try {
        await createRegisteredModel(services.db, { name: target.name });
        created = true;
      } catch (err) {
        if (!(err instanceof MlflowError && err.errorCode === 'RESOURCE_ALREADY_EXISTS')) throw err;
      }
      id = (await findRegisteredModelId(services.db, target.name))!;
    }
    const version = await findVersionBySemver(services.db, id, target.semver);
    if (version) PackageUpload.checkVersion(version, target);
    return new PackageUpload(
      services,
      target,
      options,
      id,
      created,
      version?.semver ?? semverText(target.semver),
    );
  }

  private static checkVersion(version: PackageVersionRow, target: PackageCoordinates): void {
    if (!isPackageVersion(version)) throw notAPackage(version);
    if (target.semver.build !== '' && target.semver.build !== version.build) {
      throw new MlflowError(
        'RESOURCE_CONFLICT',
        `Version ${version.version} of '${version.name}' is ${version.semver}, not ${semverText(target.semver)}.`,
      );
    }
  }

  private get where(): string {
    return `${this.target.name} ${this.folderSemver}`;
  }

  /** Files are taken one after the other; `abort` waits for the one in flight before cleaning up. */
  addFile(file: IncomingFile): Promise<void> {
    const run = this.inflight.then(() => {
      if (this.finished) throw new MlflowError('BAD_REQUEST', 'The upload was abandoned.');
      return this.addFileNow(file);
    });
    this.inflight = run.catch(() => undefined);
    return run;
  }

  private async addFileNow(file: IncomingFile): Promise<void> {
    const path = parsePackagePath(file.rawPath);
    if (this.pending.some((pending) => pending.path === path))
      throw invalidParameter(`The upload names '${path}' twice.`);
    const lock: LockKey = { ...versionLockScope(this.target.name, this.folderSemver), path };
    await acquireUploadLock(this.services.db, lock);
    this.locks.push(lock);

    // Looked up again under the lock: another upload may have created the version or this file meanwhile.
    const version = await findVersionBySemver(this.services.db, this.registeredModelId, this.target.semver);
    if (version) PackageUpload.checkVersion(version, this.target);
    if (version && version.semver !== this.folderSemver) {
      throw new MlflowError(
        'RESOURCE_CONFLICT',
        `Version ${version.version} of '${version.name}' was just created as ${version.semver}; retry the upload.`,
      );
    }
    const existing = version ? await findPackageFile(this.services.db, version.id, path) : undefined;
    const { maxFileBytes } = this.services;

    if (existing && !this.options.overwrite) {
      if (file.expected.sha256 !== undefined && file.expected.sha256 !== existing.sha256) {
        file.body.resume();
        throw alreadyStoredDifferently(path, this.where);
      }
      const actual = await hashBody(file.body, maxFileBytes);
      if (file.expected.sha256 !== undefined && file.expected.sha256 !== actual.sha256) {
        throw digestMismatch('sha256', actual.sha256, file.expected.sha256);
      }
      if (file.expected.md5 !== undefined && file.expected.md5 !== actual.md5)
        throw digestMismatch('MD5', actual.md5, file.expected.md5);
      if (actual.sha256 !== existing.sha256) throw alreadyStoredDifferently(path, this.where);
      this.pending.push({
        path,
        outcome: 'unchanged',
        key: existing.storage_key,
        size: existing.size,
        sha256: existing.sha256,
      });
      return;
    }

    // A deleted file of a published version may come back only with the bytes it had (unless an admin
    // overwrites): consumers that pinned this version must never get other content under it.
    const published = existing
      ? undefined
      : await deletedFileDigest(this.services.db, this.target.name, this.target.semver, path);
    const mustMatch = this.options.overwrite ? undefined : published;
    if (mustMatch !== undefined && file.expected.sha256 !== undefined && file.expected.sha256 !== mustMatch) {
      file.body.resume();
      throw alreadyPublishedDifferently(path, this.where);
    }
    const key = `${packageDir(this.registeredModelId, this.folderSemver)}/${path}`;
    const stored = await this.services.store.put(key, withMd5Check(file.body, file.expected.md5), {
      maxBytes: maxFileBytes,
      declaredBytes: file.declaredBytes,
      expectedSha256: file.expected.sha256,
      publish: async (publish, { sha256 }) => {
        if (mustMatch !== undefined && sha256 !== mustMatch)
          throw alreadyPublishedDifferently(path, this.where);
        await publish();
      },
    });
    this.pending.push({
      path,
      outcome: existing ? 'replaced' : 'created',
      key,
      ...stored,
      contentType: file.contentType,
    });
  }

  async commit(): Promise<UploadResult> {
    if (this.pending.length === 0) throw invalidParameter('The upload carries no file.');
    const { db } = this.services;
    try {
      const outcome = await db.transaction(async (trx) => {
        // The files went into the folder of the model found at `begin`: if that model was deleted (and the
        // name perhaps re-created) meanwhile, they belong to no one and the upload must start over.
        const model = await trx('registered_models')
          .where({ name: this.target.name })
          .forUpdate()
          .first('id');
        if (model?.id !== this.registeredModelId) {
          throw new MlflowError(
            'RESOURCE_CONFLICT',
            `Registered model '${this.target.name}' was deleted during the upload; nothing was stored, retry it.`,
          );
        }
        let version = await findVersionBySemver(trx, this.registeredModelId, this.target.semver);
        let created = false;
        if (!version) {
          created = true;
          const folder = packageDir(this.registeredModelId, this.folderSemver);
          // The package routes stream their bodies (multer's events run outside any request context), so
          // the version's `version.created` event gets its actor and CI job from the upload itself.
          const context = {
            ...currentEventContext(),
            actor: this.options.tokenId,
            ciJobId: this.options.ciJob.jobId,
          };
          await runWithEventContext(context, () =>
            createModelVersion(trx as unknown as Db, {
              name: this.target.name,
              source: packageSource(this.registeredModelId, this.folderSemver),
              packageFolder: folder,
              tags: [{ key: 'semver', value: this.folderSemver }],
              ciJob: this.options.ciJob,
            }),
          ).catch((err: unknown) => {
            // A concurrent first upload to the same version created it: add the files to that one.
            if (!(err instanceof MlflowError && err.errorCode === 'RESOURCE_ALREADY_EXISTS')) throw err;
            created = false;
          });
          version = (await findVersionBySemver(trx, this.registeredModelId, this.target.semver))!;
        }
        PackageUpload.checkVersion(version, this.target);
        if (version.semver !== this.folderSemver) throw notAPackage(version);

        const now = Date.now();
        const files: PackageFileJson[] = [];
        for (const file of this.pending) {
          if (file.outcome === 'unchanged') {
            const stored = await findPackageFile(trx, version.id, file.path);
            if (!stored) {
              throw new MlflowError(
                'RESOURCE_CONFLICT',
                `'${file.path}' was deleted from ${this.where} during the upload; retry it.`,
              );
            }
            files.push(fileJson(stored));
            continue;
          }
          // stored_files describes every stored byte (issue 4); written in the same transaction as the package row.
          await recordStoredFile(trx, {
            key: file.key,
            size: file.size,
            sha256: file.sha256,
            contentType: file.contentType ?? null,
            createdAt: now,
          });
          const columns = {
            storage_key: file.key,
            size: file.size,
            sha256: file.sha256,
            content_type: file.contentType?.slice(0, 255) ?? null,
            ...ciJobColumns(this.options.ciJob),
            created_at: now,
          };
          // The lifecycle history and webhooks see every stored file (semreg-api.md "History").
          const previous =
            file.outcome === 'replaced' ? await findPackageFile(trx, version.id, file.path) : undefined;
          await recordEvent(trx, {
            type: 'package.file_added',
            model: version.name,
            registeredModelId: version.registered_model_id,
            version: version.version,
            semver: version.semver,
            before: previous ? { path: previous.path, size: previous.size, sha256: previous.sha256 } : null,
            after: { path: file.path, size: file.size, sha256: file.sha256 },
            actor: this.options.tokenId ?? null,
            ciJobId: this.options.ciJob.jobId ?? null,
          });
          if (file.outcome === 'replaced') {
            const old = previous!;
            await trx('package_file_events').insert({
              action: 'overwritten',
              model_name: version.name,
              version: version.version,
              semver: version.semver,
              path: file.path,
              sha256: old.sha256,
              size: old.size,
              token_id: this.options.tokenId ?? null,
              time: now,
            });
            const [row] = await trx('package_files').where({ id: old.id }).update(columns).returning('*');
            files.push(fileJson(row));
          } else {
            const [row] = await trx('package_files')
              .insert({ model_version_id: version.id, path: file.path, ...columns })
              .returning('*');
            files.push(fileJson(row));
          }
        }
        return {
          created: created ? version.id : undefined,
          result: {
            changed: this.pending.some((file) => file.outcome !== 'unchanged'),
            files,
            modelVersion: versionRef(version),
          },
        };
      });
      this.finished = true;
      if (outcome.created !== undefined) {
        // Still holding this upload's locks, so its own files are skipped. Best effort: the upload has
        // committed and must be answered as such; a leftover file is retried by the next version creation.
        await removeUnreferencedFiles(
          this.services,
          packageDir(this.registeredModelId, this.folderSemver),
          versionLockScope(this.target.name, this.folderSemver),
        ).catch(() => undefined);
      }
      return outcome.result;
    } finally {
      if (this.finished) await this.releaseLocks();
    }
  }

  /** Undoes whatever the upload did; safe to call more than once and after a failed commit. */
  async abort(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    await this.inflight;
    const { db, store } = this.services;
    for (const file of this.pending) {
      if (file.outcome === 'created') await store.delete(file.key).catch(() => undefined);
    }
    await this.releaseLocks();
    if (this.createdModel) {
      // Only if it is still empty and no other upload to it is under way (they hold path locks): a
      // concurrent first upload of another file must not lose the model it is about to commit into.
      await db('registered_models')
        .where({ id: this.registeredModelId })
        .whereNotExists(
          db('model_versions').where('registered_model_id', this.registeredModelId).select(db.raw('1')),
        )
        .whereNotExists(db('package_upload_locks').where('model_name', this.target.name).select(db.raw('1')))
        .delete()
        .catch(() => undefined);
    }
  }

  private async releaseLocks(): Promise<void> {
    for (const lock of this.locks.splice(0))
      await releaseUploadLock(this.services.db, lock).catch(() => undefined);
  }
}
