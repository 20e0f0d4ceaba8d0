import crypto from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type _Object,
  type HeadObjectCommandOutput,
  type ListObjectsV2CommandOutput,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { S3Destination } from '../config';
import { digestMismatch, MlflowError, notFound, uploadInterrupted } from '../errors';
import type {
  ArtifactStore,
  ByteRange,
  GetResult,
  ListedEntry,
  PutOptions,
  PresignHeaders,
  PutResult,
  StoredEntry,
} from './artifact-store';
import { PRESIGNED_SHA256_PARAMETER } from './artifact-store';
import { ByteMeter } from './byte-meter';
import { normaliseRelativePath } from './safe-path';
import { classifyS3Error, translateS3Error } from './s3-errors';
import { UploadBuffers } from './upload-buffers';

/**
 * Multipart uploads hold at most QUEUE_SIZE parts in memory plus the one being filled, whose bytes are copied
 * once more when it is cut: 30 MiB per upload with S3's minimum part size, whatever the file's size, which is
 * what an upload reserves of the store's `UploadBuffers`. Parts grow past 5 MiB only for files over 48 GiB
 * (10,000 parts is S3's limit): `partSize` follows the upload's byte limit.
 */
const MIN_PART_SIZE = 5 * 1024 * 1024;
const MAX_PARTS = 10_000;
const QUEUE_SIZE = 4;
const partSize = (maxBytes: number) => Math.max(MIN_PART_SIZE, Math.ceil(maxBytes / MAX_PARTS));
const bufferedBytes = (partBytes: number) => (QUEUE_SIZE + 2) * partBytes;
/** How long the store waits before answering 503; tests shorten them. */
export interface S3StoreWaits {
  /** For its part buffers, before an upload is refused. */
  readonly uploadWaitMs: number;
  /** For the store's answer to a request (the headers, after the body is sent), before the SDK retries. */
  readonly answerWaitMs: number;
}
const DEFAULT_WAITS: S3StoreWaits = { uploadWaitMs: 60_000, answerWaitMs: 60_000 };
/** Unfinished multipart uploads older than this belong to a crashed or killed upload: they are aborted. */
const ABANDONED_UPLOAD_AGE_MS = 3600 * 1000;
/** Objects written by the store itself (the probe); never addressable by a caller. */
const TEMP_DIR = '.tmp';
/** S3's limit on a key's length in bytes. */
const MAX_KEY_BYTES = 1024;
const DELETE_BATCH = 1000;
/** How often `probe` writes (else it only checks the bucket answers). */
const WRITE_PROBE_EVERY_MS = 5 * 60 * 1000;

function invalid(key: string, rule: string): MlflowError {
  return new MlflowError('INVALID_PARAMETER_VALUE', `Invalid path ${JSON.stringify(key)}: ${rule}.`);
}

const rangeNotSatisfiable = (size: number | undefined) =>
  new MlflowError(
    'INVALID_PARAMETER_VALUE',
    size === undefined ? 'The range is outside the file.' : `The range is outside the file's ${size} bytes.`,
    416,
  );

/** `bytes 2-5/10` → [2, 5, 10]. */
function parseContentRange(header: string | undefined): [number, number, number] | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(header ?? '');
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

/**
 * The ArtifactStore on any S3-compatible object store. The SDK does the signing, retries and multipart
 * bookkeeping (`@aws-sdk/lib-storage`); what is ours is the contract: keys through the one path guard and
 * confined below the prefix, the sha256 computed while streaming, and an object that becomes visible only
 * once its bytes are complete and verified (the multipart upload is completed only after the caller's
 * publish hook says so, and aborted otherwise).
 */
export class S3Store implements ArtifactStore {
  private readonly root: string;
  private lastWriteProbe = 0;
  private readonly uploadBuffers: UploadBuffers;

  constructor(
    private readonly client: S3Client,
    readonly location: S3Destination,
    uploadWaitMs: number,
  ) {
    this.root = location.prefix ? `${location.prefix}/` : '';
    this.uploadBuffers = new UploadBuffers(location.uploadBufferBytes, uploadWaitMs);
  }

  static open(location: S3Destination, waits: Partial<S3StoreWaits> = {}): S3Store {
    const uploadWaitMs = waits.uploadWaitMs ?? DEFAULT_WAITS.uploadWaitMs;
    const answerWaitMs = waits.answerWaitMs ?? DEFAULT_WAITS.answerWaitMs;
    // The SDK prints a multi-line notice on Node 20 (its releases after January 2027 need Node 22) to
    // stderr, which would break the one-line start-up messages and the JSON log; semreg pins the SDK in
    // its lock file and supports Node 20 (docs/storage.md says when to move to Node 22).
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const client = new S3Client({
      endpoint: location.endpoint,
      forcePathStyle: location.forcePathStyle,
      credentials: location.credentials,
      // A store of our own (an endpoint) rarely cares about the region, but the SDK needs one to sign.
      region: location.region ?? (location.endpoint ? 'us-east-1' : undefined),
      // Only what the operation requires: S3-compatible stores reject or mangle the optional CRC32
      // trailers newer SDKs send by default, and the sha256 of every file is checked by semreg anyway.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // A store that does not answer must become a 503, not a request hanging for ever. The SDK only warns
      // about a request past `requestTimeout` (the time to the response's headers, body sent included)
      // unless told to fail it.
      requestHandler: {
        connectionTimeout: 5000,
        requestTimeout: answerWaitMs,
        throwOnRequestTimeout: true,
      },
      maxAttempts: 3,
    });
    return new S3Store(client, location, uploadWaitMs);
  }

  /** The object key of a caller's key: guarded, normalised, below the prefix; the temp area is reserved. */
  private objectKey(key: string): string {
    const clean = normaliseRelativePath(key);
    if (clean === TEMP_DIR || clean.startsWith(`${TEMP_DIR}/`))
      throw invalid(key, `'${TEMP_DIR}' is reserved`);
    const objectKey = `${this.root}${clean}`;
    if (Buffer.byteLength(objectKey) > MAX_KEY_BYTES) throw invalid(key, 'it is too long');
    return objectKey;
  }

  private async call<T>(key: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (err) {
      throw translateS3Error(err, key, this.location.bucket);
    }
  }

  /** The object's metadata, or undefined when there is no object at the key. */
  private async head(objectKey: string): Promise<HeadObjectCommandOutput | undefined> {
    try {
      return await this.client.send(new HeadObjectCommand({ Bucket: this.location.bucket, Key: objectKey }));
    } catch (err) {
      if (classifyS3Error(err).kind === 'missing-object') return undefined;
      throw err;
    }
  }

  /** Some object below `objectKey/` (the key is a folder), or undefined. */
  private async firstBelow(objectKey: string): Promise<_Object | undefined> {
    const page = await this.client.send(
      new ListObjectsV2Command({ Bucket: this.location.bucket, Prefix: `${objectKey}/`, MaxKeys: 1 }),
    );
    return page.Contents?.[0];
  }

  /**
   * The object store has no directories, but artifacts and packages are trees: a key may not be both a file
   * and a folder, or listings (and local-disk migration) would break. Checked before the upload, in parallel.
   */
  private async assertWritable(key: string, objectKey: string): Promise<void> {
    const segments = objectKey.slice(this.root.length).split('/');
    const ancestors = segments.slice(0, -1).map((_, i) => this.root + segments.slice(0, i + 1).join('/'));
    const [child, ...ancestorObjects] = await Promise.all([
      this.firstBelow(objectKey),
      ...ancestors.map((ancestor) => this.head(ancestor)),
    ]);
    if (child) throw invalid(key, 'it is a directory');
    if (ancestorObjects.some(Boolean)) throw invalid(key, 'a parent of this path is a file');
  }

  async put(key: string, body: Readable, options: PutOptions): Promise<PutResult> {
    // The body may fail (a disconnect) before the upload reads it: without a listener that would crash.
    let bodyFailed = false;
    body.on('error', () => (bodyFailed = true));
    const objectKey = this.objectKey(key);
    if (objectKey === this.root) throw invalid(key, 'a file needs a name');
    await this.call(key, () => this.assertWritable(key, objectKey));
    const largest = Math.min(options.declaredBytes ?? options.maxBytes, options.maxBytes);
    const buffered = bufferedBytes(partSize(options.maxBytes));
    const release = await this.uploadBuffers.reserve(Math.min(buffered, largest), options.signal);
    try {
      return await this.upload(key, objectKey, body, options, () => bodyFailed);
    } finally {
      release();
    }
  }

  private async upload(
    key: string,
    objectKey: string,
    body: Readable,
    options: PutOptions,
    bodyFailed: () => boolean,
  ): Promise<PutResult> {
    const meter = new ByteMeter(options.maxBytes);
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.location.bucket, Key: objectKey, Body: meter },
      partSize: partSize(options.maxBytes),
      queueSize: QUEUE_SIZE,
      leavePartsOnError: false,
    });
    const uploaded = upload.done();

    // The upload reads the meter to its end before it sends the last part and completes. The meter's flush
    // holds that end back until the sha256 is verified and the caller's hook calls `publish`; an error
    // there fails the stream, and the upload aborts: nothing becomes visible.
    let failPublish: (err: unknown) => void = () => undefined;
    const published = new Promise<PutResult>((resolve, reject) => {
      failPublish = reject;
      meter._flush = (finish) => {
        const file = meter.result();
        if (options.expectedSha256 && options.expectedSha256.toLowerCase() !== file.sha256) {
          finish(digestMismatch('sha256', file.sha256, options.expectedSha256));
          return;
        }
        let committed = false;
        const publish = async () => {
          committed = true;
          finish();
          await uploaded;
        };
        (options.publish ? options.publish(publish, file) : publish()).then(
          () => resolve(file),
          (err: unknown) => {
            if (!committed) finish(err as Error);
            reject(err);
          },
        );
      };
    });
    uploaded.catch((err: unknown) => failPublish(err));
    // Errors of the body (and the abort signal) reach the upload through the meter. A failing body is the
    // client's disconnect, not the store's failure, whatever its error code says.
    pipeline(body, meter, { signal: options.signal }).catch(() => undefined);

    const [upload_, publish_] = await Promise.allSettled([uploaded, published]);
    if (publish_.status === 'fulfilled' && upload_.status === 'fulfilled') return publish_.value;
    const reason =
      publish_.status === 'rejected' ? publish_.reason : (upload_ as PromiseRejectedResult).reason;
    if ((bodyFailed() || options.signal?.aborted) && !(reason instanceof MlflowError))
      throw uploadInterrupted();
    throw translateS3Error(reason, key, this.location.bucket);
  }

  async get(key: string, options: { readonly range?: ByteRange } = {}): Promise<GetResult> {
    const objectKey = this.objectKey(key);
    const range = options.range;
    if (range && range.start > range.end) throw rangeNotSatisfiable(undefined);
    if (objectKey === this.root) throw notFound(`No artifact at path '${key}' (it is a directory).`);
    const result = await this.call(key, () =>
      this.client.send(
        new GetObjectCommand({
          Bucket: this.location.bucket,
          Key: objectKey,
          Range: range ? `bytes=${range.start}-${range.end}` : undefined,
        }),
      ),
    );
    const stream = result.Body as Readable;
    if (!range) return { stream, size: result.ContentLength ?? 0 };
    // S3 shortens a range that runs past the end; the contract (and MLflow's server) answers 416 instead.
    const [, end, size] = parseContentRange(result.ContentRange) ?? [0, -1, undefined];
    if (size === undefined || end !== range.end) {
      stream.destroy();
      throw rangeNotSatisfiable(size);
    }
    return { stream, size };
  }

  async stat(key: string): Promise<StoredEntry | undefined> {
    const objectKey = this.objectKey(key);
    if (objectKey === this.root) return { size: 0, isDir: true, mtime: new Date(0) };
    return this.call(key, async () => {
      const head = await this.head(objectKey);
      if (head)
        return { size: head.ContentLength ?? 0, isDir: false, mtime: head.LastModified ?? new Date(0) };
      const first = await this.firstBelow(objectKey);
      return first ? { size: 0, isDir: true, mtime: first.LastModified ?? new Date(0) } : undefined;
    });
  }

  /** Every page of a listing below `prefix` (1,000 keys a page). */
  private async *pages(prefix: string, delimiter?: string): AsyncGenerator<ListObjectsV2CommandOutput> {
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.location.bucket,
          Prefix: prefix,
          Delimiter: delimiter,
          ContinuationToken: token,
        }),
      );
      yield page;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async list(prefix: string): Promise<ListedEntry[]> {
    const objectKey = this.objectKey(prefix);
    const dir = objectKey === this.root ? this.root : `${objectKey}/`;
    return this.call(prefix, async () => {
      const listed: ListedEntry[] = [];
      for await (const page of this.pages(dir, '/')) {
        for (const common of page.CommonPrefixes ?? []) {
          const name = (common.Prefix ?? '').slice(dir.length, -1);
          if (name && !(dir === this.root && name === TEMP_DIR)) listed.push({ name, isDir: true });
        }
        for (const object of page.Contents ?? []) {
          const name = (object.Key ?? '').slice(dir.length);
          // `folder/` markers made by other tools are not files.
          if (name && !name.endsWith('/')) listed.push({ name, isDir: false, size: object.Size ?? 0 });
        }
      }
      return listed.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    });
  }

  async delete(key: string): Promise<void> {
    const objectKey = this.objectKey(key);
    if (objectKey === this.root) throw invalid(key, 'the storage root cannot be deleted');
    await this.call(key, async () => {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.location.bucket, Key: objectKey }));
      await this.deleteBelow(`${objectKey}/`);
      await this.removeFolders(`${objectKey}/`);
    });
  }

  /** Deletes every object below a prefix, 1,000 per request. */
  private async deleteBelow(prefix: string): Promise<void> {
    let batch: string[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const keys = batch;
      batch = [];
      const result = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.location.bucket,
          Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      const failed = result.Errors?.[0];
      if (failed) throw new Error(`could not delete ${failed.Key}: ${failed.Code} ${failed.Message}`);
    };
    for await (const page of this.pages(prefix)) {
      for (const object of page.Contents ?? []) {
        batch.push(object.Key!);
        if (batch.length === DELETE_BATCH) await flush();
      }
    }
    await flush();
  }

  /**
   * S3 itself has no directories, but some S3-compatible stores built on a file system (SeaweedFS) keep the
   * folders of deleted objects and list them. Deleting `folder/` removes such a folder only when it is
   * empty (and is a no-op on AWS), so this is safe while uploads write below it.
   */
  async removeEmptyDirectories(prefix: string): Promise<void> {
    const objectKey = this.objectKey(prefix);
    if (objectKey === this.root) return;
    await this.call(prefix, () => this.removeFolders(`${objectKey}/`));
  }

  private async removeFolders(folder: string): Promise<void> {
    for await (const page of this.pages(folder, '/')) {
      for (const common of page.CommonPrefixes ?? []) await this.removeFolders(common.Prefix!);
    }
    await this.client.send(new DeleteObjectCommand({ Bucket: this.location.bucket, Key: folder }));
  }

  /**
   * Aborts this store's multipart uploads left unfinished for more than an hour (a crashed or killed
   * upload; a live one finishes or aborts itself) and removes stray probe objects. Safe to run on every
   * replica at once: aborting twice is answered NoSuchUpload, which is ignored.
   */
  async cleanTemporaryFiles(olderThanMs = ABANDONED_UPLOAD_AGE_MS): Promise<void> {
    const cutoff = Date.now() - olderThanMs;
    await this.call('', async () => {
      let keyMarker: string | undefined;
      let uploadIdMarker: string | undefined;
      do {
        const page = await this.client.send(
          new ListMultipartUploadsCommand({
            Bucket: this.location.bucket,
            Prefix: this.root || undefined,
            KeyMarker: keyMarker,
            UploadIdMarker: uploadIdMarker,
          }),
        );
        for (const upload of page.Uploads ?? []) {
          if ((upload.Initiated?.getTime() ?? 0) > cutoff) continue;
          await this.client
            .send(
              new AbortMultipartUploadCommand({
                Bucket: this.location.bucket,
                Key: upload.Key,
                UploadId: upload.UploadId,
              }),
            )
            .catch((err: unknown) => {
              if ((err as Error).name !== 'NoSuchUpload') throw err;
            });
        }
        keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
        uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
      } while (keyMarker);
      await this.deleteBelow(`${this.root}${TEMP_DIR}/`);
    });
  }

  /**
   * Reachable and writable: writes and deletes an empty object in the reserved temp area. `/ready` asks
   * every few seconds on every replica, and on a versioned bucket each write leaves a version and a delete
   * marker behind, so between two such writes (WRITE_PROBE_EVERY_MS) a HeadBucket answers.
   */
  async probe(): Promise<void> {
    if (Date.now() - this.lastWriteProbe < WRITE_PROBE_EVERY_MS) {
      await this.call('', () => this.client.send(new HeadBucketCommand({ Bucket: this.location.bucket })));
      return;
    }
    const probeKey = `${this.root}${TEMP_DIR}/probe-${crypto.randomUUID()}`;
    await this.call('', async () => {
      await this.client.send(
        new PutObjectCommand({ Bucket: this.location.bucket, Key: probeKey, Body: Buffer.alloc(0) }),
      );
      await this.client.send(new DeleteObjectCommand({ Bucket: this.location.bucket, Key: probeKey }));
    });
    this.lastWriteProbe = Date.now();
  }

  /**
   * A presigned GET of the object valid `ttlSeconds`, answered with the download headers semreg itself would
   * send: the client fetches the bytes from the store (ARTIFACT_DOWNLOADS=redirect, download-URI maps).
   */
  async presignGet(key: string, ttlSeconds: number, headers: PresignHeaders): Promise<string> {
    const command = new GetObjectCommand({
      Bucket: this.location.bucket,
      Key: this.objectKey(key),
      ResponseContentType: headers.contentType,
      ResponseContentDisposition: headers.contentDisposition,
    });
    const sha256 = headers.sha256;
    if (sha256) {
      // Added before signing, so the signature covers it; stores ignore query parameters they do not know.
      command.middlewareStack.add(
        (next) => async (args) => {
          const request = args.request as { query?: Record<string, string> };
          request.query = { ...request.query, [PRESIGNED_SHA256_PARAMETER]: sha256 };
          return next(args);
        },
        { step: 'build', name: 'semregSha256Parameter' },
      );
    }
    return this.call(key, () => getSignedUrl(this.client, command, { expiresIn: ttlSeconds }));
  }

  close(): void {
    this.client.destroy();
  }
}
