import crypto from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { digestMismatch, MlflowError, notFound, uploadInterrupted } from '../errors';
import type {
  ArtifactStore,
  ByteRange,
  GetResult,
  ListedEntry,
  PutOptions,
  PutResult,
  StoredEntry,
} from './artifact-store';
import { ByteMeter } from './byte-meter';
import { DurableFileWriter } from './durable-file-writer';
import { assertInsideRealRoot, normaliseRelativePath, resolveSafePath } from './safe-path';

/**
 * The local-disk ArtifactStore under `config.artifactRoot`. Uploads stream into `<root>/.tmp/<instance>/`
 * while being counted and hashed, are fsynced, and only then renamed into place (rename is atomic on one
 * file system), so a crash or a disconnect never leaves half a file where a reader can see it.
 */
const TEMP_DIR = '.tmp';
/** Temporary files whose owner cannot be checked (another host, a reused pid) are removed after this long. */
const ABANDONED_TEMP_AGE_MS = 24 * 3600 * 1000;
/** Stores open in this process: a temp folder with our pid but not in here belongs to an earlier incarnation. */
const liveInstances = new Set<string>();

type ErrnoError = NodeJS.ErrnoException;
const errno = (err: unknown): string | undefined => (err as ErrnoError)?.code;

function invalid(key: string, rule: string): MlflowError {
  return new MlflowError('INVALID_PARAMETER_VALUE', `Invalid path ${JSON.stringify(key)}: ${rule}.`);
}

/** File system failures a client can cause or must be told about, as MlflowErrors; anything else is a bug. */
function translateFsError(err: unknown, key: string): unknown {
  if (err instanceof MlflowError) return err;
  switch (errno(err)) {
    case 'ENOSPC':
    case 'EDQUOT':
      // 507 Insufficient Storage: not retried by the MLflow client (a full disk does not clear in 4 minutes).
      return new MlflowError('RESOURCE_EXHAUSTED', 'The artifact storage is full; nothing was stored.', 507);
    case 'ENOTDIR':
    case 'EEXIST':
      return invalid(key, 'a parent of this path is a file');
    case 'EISDIR':
    case 'ENOTEMPTY':
      return invalid(key, 'it is a directory');
    case 'ENAMETOOLONG':
      return invalid(key, 'it is too long');
    case 'ABORT_ERR':
    case 'ECONNRESET':
    case 'ERR_STREAM_PREMATURE_CLOSE':
      return uploadInterrupted();
    default:
      return err;
  }
}

async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errno(err) === 'EPERM';
  }
}

export class LocalDiskStore implements ArtifactStore {
  /** `<pid>_<random>_<hostname>`: tells at start-up whose temporary files are abandoned. */
  private readonly instanceId = `${process.pid}_${crypto.randomBytes(4).toString('hex')}_${os.hostname()}`;

  private constructor(
    private readonly root: string,
    private readonly tempDir: string,
  ) {}

  /** Creates the root (so its real path can anchor the symlink checks) and this process's temp folder. */
  static async open(root: string): Promise<LocalDiskStore> {
    await fs.mkdir(root, { recursive: true });
    const realRoot = await fs.realpath(root);
    const store = new LocalDiskStore(realRoot, path.join(realRoot, TEMP_DIR));
    await fs.mkdir(path.join(store.tempDir, store.instanceId), { recursive: true });
    liveInstances.add(store.instanceId);
    return store;
  }

  /** Guarded absolute path of a key; the temp area is not addressable. */
  private async locate(key: string): Promise<string> {
    const clean = normaliseRelativePath(key);
    if (clean === TEMP_DIR || clean.startsWith(`${TEMP_DIR}/`))
      throw invalid(key, `'${TEMP_DIR}' is reserved`);
    const target = resolveSafePath(this.root, clean);
    await assertInsideRealRoot(this.root, target);
    return target;
  }

  async put(key: string, body: Readable, options: PutOptions): Promise<PutResult> {
    // The body may fail (a disconnect) while the checks below are still awaiting, before `pipeline` listens:
    // without a listener that error would crash the process. `pipeline` still sees it (the stream is errored).
    body.on('error', () => undefined);
    const target = await this.locate(key);
    if (target === this.root) throw invalid(key, 'a file needs a name');
    const existing = await fs.stat(target).catch(() => undefined);
    if (existing?.isDirectory()) throw invalid(key, 'it is a directory');

    const temp = path.join(this.tempDir, this.instanceId, `${crypto.randomUUID()}.part`);
    const meter = new ByteMeter(options.maxBytes);
    let writer: DurableFileWriter | undefined;
    try {
      await fs.mkdir(path.dirname(temp), { recursive: true });
      // The writer fsyncs before it finishes: the bytes are on disk before the rename makes them visible.
      writer = new DurableFileWriter(temp, 0o644);
      await pipeline(body, meter, writer, { signal: options.signal });
      const result = meter.result();
      if (options.expectedSha256 && options.expectedSha256.toLowerCase() !== result.sha256)
        throw digestMismatch('sha256', result.sha256, options.expectedSha256);
      const publish = async () => {
        for (let attempt = 1; ; attempt += 1) {
          await fs.mkdir(path.dirname(target), { recursive: true });
          // Again after mkdir: a symlink planted while the body was streaming must not redirect the rename.
          await assertInsideRealRoot(this.root, target);
          try {
            await fs.rename(temp, target);
            break;
          } catch (err) {
            // removeEmptyDirectories removed the folder between mkdir and rename: make it again.
            if (errno(err) !== 'ENOENT' || attempt === 3) throw err;
          }
        }
        await fsyncDirectory(path.dirname(target));
      };
      await (options.publish ? options.publish(publish, result) : publish());
      return result;
    } catch (err) {
      // A body that failed at once fails the pipeline while the writer may still be creating the file:
      // remove it only once the writer has closed, or the file would appear after the removal.
      if (writer && !writer.closed) await once(writer.destroy(), 'close').catch(() => undefined);
      await fs.rm(temp, { force: true });
      throw translateFsError(err, key);
    }
  }

  async get(key: string, options: { readonly range?: ByteRange } = {}): Promise<GetResult> {
    const target = await this.locate(key);
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(target, 'r');
    } catch (err) {
      if (['ENOENT', 'ENOTDIR', 'EISDIR'].includes(errno(err) ?? ''))
        throw notFound(`No artifact at path '${key}'.`);
      throw translateFsError(err, key);
    }
    const stats = await handle.stat();
    const range = options.range;
    if (!stats.isFile() || (range && (range.start > range.end || range.end >= stats.size))) {
      await handle.close();
      if (!stats.isFile()) throw notFound(`No artifact at path '${key}' (it is a directory).`);
      throw new MlflowError(
        'INVALID_PARAMETER_VALUE',
        `The range is outside the file's ${stats.size} bytes.`,
        416,
      );
    }
    // 1 MiB reads: with the default 64 KiB, per-chunk overhead caps a 1 GiB download well below disk speed.
    const stream = handle.createReadStream({
      start: range?.start,
      end: range?.end,
      highWaterMark: 1024 * 1024,
    });
    return { stream, size: stats.size };
  }

  async stat(key: string): Promise<StoredEntry | undefined> {
    const target = await this.locate(key);
    try {
      const stats = await fs.stat(target);
      if (!stats.isFile() && !stats.isDirectory()) return undefined;
      return { size: stats.isFile() ? stats.size : 0, isDir: stats.isDirectory(), mtime: stats.mtime };
    } catch (err) {
      if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') return undefined;
      throw translateFsError(err, key);
    }
  }

  async list(prefix: string): Promise<ListedEntry[]> {
    const dir = await this.locate(prefix);
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') return [];
      throw translateFsError(err, prefix);
    }
    const listed: ListedEntry[] = [];
    for (const entry of entries) {
      if (dir === this.root && entry.name === TEMP_DIR) continue;
      // Symlinks and other special files are never created by the store: someone planted them, skip them.
      if (entry.isDirectory()) listed.push({ name: entry.name, isDir: true });
      if (entry.isFile()) {
        const stats = await fs.stat(path.join(dir, entry.name)).catch(() => undefined);
        if (stats) listed.push({ name: entry.name, isDir: false, size: stats.size });
      }
    }
    return listed.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    const target = await this.locate(key);
    if (target === this.root) throw invalid(key, 'the storage root cannot be deleted');
    try {
      await fs.rm(target, { recursive: true, force: true });
    } catch (err) {
      throw translateFsError(err, key);
    }
  }

  async removeEmptyDirectories(prefix: string): Promise<void> {
    const dir = await this.locate(prefix);
    if (dir === this.root) return;
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (entry.isDirectory())
        await this.removeEmptyDirectories(`${normaliseRelativePath(prefix)}/${entry.name}`);
    }
    // rmdir refuses a directory that is not empty, atomically: a file renamed in meanwhile keeps it.
    await fs.rmdir(dir).catch((err: unknown) => {
      if (!['ENOTEMPTY', 'EEXIST', 'ENOENT', 'ENOTDIR'].includes(errno(err) ?? ''))
        throw translateFsError(err, prefix);
    });
  }

  /**
   * Removes temporary files of crashed processes: those of this host whose process is gone (or whose pid is
   * ours again — a restarted container often gets the same pid and hostname), and anything untouched for a
   * day (other hosts sharing the volume, reused pids). Live processes' uploads are left alone, so several
   * semreg processes can share one artifact root.
   */
  async probe(): Promise<void> {
    // The root must still be the directory opened at start (not a lost mount) and writable (not a disk
    // remounted read-only): write and remove a file where uploads write theirs, creating nothing on the way.
    const probe = path.join(this.tempDir, this.instanceId, `probe-${crypto.randomUUID()}`);
    await fs.writeFile(probe, '', { flag: 'wx' });
    await fs.rm(probe, { force: true });
  }

  close(): void {
    liveInstances.delete(this.instanceId);
  }

  async cleanTemporaryFiles(): Promise<void> {
    const host = os.hostname();
    const entries = await fs.readdir(this.tempDir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (entry.name === this.instanceId) continue;
      const full = path.join(this.tempDir, entry.name);
      const [pid, , ...hostParts] = entry.name.split('_');
      const owner = hostParts.join('_');
      const stats = await fs.stat(full).catch(() => undefined);
      const ownerGone =
        owner === host &&
        (Number(pid) === process.pid ? !liveInstances.has(entry.name) : !isProcessAlive(Number(pid)));
      const stale = Date.now() - (stats?.mtimeMs ?? 0) > ABANDONED_TEMP_AGE_MS;
      const abandoned = !entry.isDirectory() || ownerGone || stale;
      if (abandoned) await fs.rm(full, { recursive: true, force: true });
    }
  }
}
