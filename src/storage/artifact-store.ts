import type { Readable } from 'node:stream';

/**
 * Where artifact and package bytes live. Stream-first so memory never grows with file size, and small
 * enough that an S3-compatible backend can implement it honestly (no rename, no file handles leak out).
 *
 * Keys are relative POSIX paths; every implementation passes them through the one path guard
 * (`safe-path.ts`) again, so a key can never name anything outside the store. Failures are MlflowErrors:
 * 400 for a bad key, 404 for a missing file, 413 past `maxBytes`, 416 for an unsatisfiable range,
 * 507 when the disk is full.
 */
export interface PutOptions {
  /**
   * The upload is cut off (413) as soon as it exceeds this many bytes; nothing is stored. The S3 store sizes
   * its multipart parts from it (S3 allows 10,000): give the real bound, never "anything", or one part holds
   * the whole file in memory.
   */
  readonly maxBytes: number;
  /**
   * The body's length as the client declared it (`Content-Length`, which HTTP holds the body to): the S3
   * store reserves part buffers for no more than this (or `maxBytes`), so small files do not wait for a
   * large upload's share.
   */
  readonly declaredBytes?: number;
  /** Aborting (e.g. the client disconnected) discards the upload. */
  readonly signal?: AbortSignal;
  /** When given, a body whose sha256 (hex) differs is refused (400) and nothing is stored. */
  readonly expectedSha256?: string;
  /**
   * Wraps the moment the complete, verified file becomes visible: the store calls it with `publish` (the
   * rename, or an object-store commit) and the facts about the file. A caller uses it to record the file in
   * the same database transaction, under a lock on the key, so concurrent writers of one key cannot leave
   * the record describing the other's bytes. If it throws before calling `publish`, nothing is stored.
   */
  readonly publish?: (publish: () => Promise<void>, file: PutResult) => Promise<void>;
}

export interface PutResult {
  readonly size: number;
  /** Lower-case hex. */
  readonly sha256: string;
}

/** Inclusive byte offsets, as in an HTTP `Range: bytes=start-end` header. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

export interface GetResult {
  readonly stream: Readable;
  /** Size of the whole file (not of the range). */
  readonly size: number;
}

export interface StoredEntry {
  readonly size: number;
  readonly isDir: boolean;
  readonly mtime: Date;
}

export interface ListedEntry {
  /** Basename of a direct child of the listed prefix. */
  readonly name: string;
  readonly isDir: boolean;
  /** Present for files. */
  readonly size?: number;
}

export interface ArtifactStore {
  /**
   * Streams `body` to `key`. The bytes become visible only once complete: a failure, an abort or a crash
   * mid-way leaves the previous content (or nothing) in place. Overwrites an existing file.
   */
  put(key: string, body: Readable, options: PutOptions): Promise<PutResult>;
  /** 404 RESOURCE_DOES_NOT_EXIST when missing (or a directory). */
  get(key: string, options?: { readonly range?: ByteRange }): Promise<GetResult>;
  /** `undefined` when nothing is stored under `key`. `''` is the root directory. */
  stat(key: string): Promise<StoredEntry | undefined>;
  /** Direct children of `prefix`, sorted by name; `[]` for a missing prefix or a file. */
  list(prefix: string): Promise<ListedEntry[]>;
  /** Deletes a file or a whole tree; deleting something missing is not an error. */
  delete(key: string): Promise<void>;
  /**
   * Removes the empty directories at and below `prefix`, deepest first, and never one that holds anything:
   * safe while uploads write below it (a store without directories does nothing).
   */
  removeEmptyDirectories(prefix: string): Promise<void>;
  /** Removes uploads left behind by a crash; called once at start-up. */
  cleanTemporaryFiles(): Promise<void>;
  /** Resolves when the store can be read and written now; rejects with the reason otherwise (`/ready`). */
  probe(): Promise<void>;
  /**
   * A URL of the store itself that serves the file to anyone holding it for `ttlSeconds`, with the given
   * download headers. Only stores a client can reach directly have it (S3), and only for keys that exist.
   */
  presignGet?(key: string, ttlSeconds: number, headers: PresignHeaders): Promise<string>;
  /** Releases connections; the store is not used afterwards. */
  close(): void;
}

/** The query parameter of a presigned URL that carries the file's recorded sha256 (see PresignHeaders). */
export const PRESIGNED_SHA256_PARAMETER = 'semreg-sha256';

export interface PresignHeaders {
  readonly contentType?: string;
  readonly contentDisposition?: string;
  /**
   * The file's recorded sha256, carried in the URL as the signed query parameter `semreg-sha256`: the
   * store's answer has no header for it, and `semreg get` verifies every file it downloads.
   */
  readonly sha256?: string;
}
