import { findStoredFile, storeFile } from '../storage/stored-files';
import { getLoggedModel } from '../tracking/logged-models';
import { findRunArtifactUri } from '../tracking/runs';
import { proxiedPath, storeKeyOf } from './artifact-roots';
import { errorMessage, forEachConcurrently, ImportContext } from './import-context';
import type { LedgerEntry } from './ledger';
import type { MlflowSource } from './mlflow-source';
import { int64, SourceArtifactFile } from './source-types';

/**
 * Files of the imported runs and logged models, streamed from the source's artifact proxy into semreg's
 * store through `storeFile` (size and sha256 recorded in `stored_files`). Each file's ledger row commits in
 * the transaction that records it, so an interrupted import re-fetches only the files it had not finished;
 * a file half-streamed when the import stopped was never visible (the store writes to a temporary name).
 */
export interface ArtifactOwner {
  kind: 'run' | 'logged model';
  sourceId: string;
  /** The source root, below its artifact proxy. */
  sourceRoot: string;
  /** semreg's store key of the same root. */
  targetRoot: string;
}

export interface ListedFile {
  path: string;
  size: number;
}

/** Every file below a run's root (`artifacts/list`, recursive, following page tokens). */
export async function listRunFiles(source: MlflowSource, runId: string, path = ''): Promise<ListedFile[]> {
  const entries = await source.all<SourceArtifactFile>(
    'GET',
    'artifacts/list',
    { run_id: runId, run_uuid: runId, ...(path ? { path } : {}) },
    'files',
  );
  const files: ListedFile[] = [];
  for (const entry of entries) {
    if (entry.is_dir) files.push(...(await listRunFiles(source, runId, entry.path)));
    else files.push({ path: entry.path, size: int64(entry.file_size) });
  }
  return files;
}

/** Every file below a root of the artifact proxy (which answers with base names). */
export async function listProxiedFiles(
  source: MlflowSource,
  root: string,
  below = '',
): Promise<ListedFile[]> {
  const entries = await source.listProxied(below ? `${root}/${below}` : root);
  const files: ListedFile[] = [];
  for (const entry of entries) {
    const path = below ? `${below}/${entry.path}` : entry.path;
    if (entry.is_dir) files.push(...(await listProxiedFiles(source, root, path)));
    else files.push({ path, size: int64(entry.file_size) });
  }
  return files;
}

export async function listOwnerFiles(source: MlflowSource, owner: ArtifactOwner): Promise<ListedFile[]> {
  return owner.kind === 'run'
    ? listRunFiles(source, owner.sourceId)
    : listProxiedFiles(source, owner.sourceRoot);
}

/**
 * The roots of an imported run or logged model (its ledger entry); undefined, reported, when the source
 * keeps its files where its artifact proxy does not serve them.
 */
export async function ownerOf(
  ctx: ImportContext,
  kind: ArtifactOwner['kind'],
  entry: LedgerEntry,
): Promise<ArtifactOwner | undefined> {
  if (!entry.targetId) return undefined;
  const sourceUri = entry.detail?.sourceArtifactUri as string | null | undefined;
  const sourceRoot = proxiedPath(sourceUri);
  if (sourceRoot === undefined) {
    if (sourceUri)
      ctx.report.failed(
        'artifacts',
        `${kind} ${entry.sourceId}`,
        `stored at ${sourceUri}, which the source's artifact proxy does not serve`,
      );
    return undefined;
  }
  const targetUri =
    kind === 'run'
      ? await findRunArtifactUri(ctx.db, entry.targetId)
      : (await getLoggedModel(ctx.db, entry.targetId, { allowDeleted: true }).catch(() => undefined))?.info
          .artifact_uri;
  if (!targetUri) return undefined;
  return { kind, sourceId: entry.sourceId, sourceRoot, targetRoot: storeKeyOf(targetUri) };
}

/** The runs and logged models whose files are still to copy, from the ledger. */
async function pendingOwners(ctx: ImportContext): Promise<ArtifactOwner[]> {
  const finished = await ctx.ledger.completed(ctx.db, 'artifacts-done');
  const candidates = [
    ...[...(await ctx.ledger.completed(ctx.db, 'run')).values()].map((e) => ({ kind: 'run' as const, e })),
    ...[...(await ctx.ledger.completed(ctx.db, 'logged-model')).values()].map((e) => ({
      kind: 'logged model' as const,
      e,
    })),
  ];
  const owners: ArtifactOwner[] = [];
  for (const { kind, e } of candidates) {
    if (finished.has(`${kind}:${e.sourceId}`)) continue;
    const owner = await ownerOf(ctx, kind, e);
    if (owner) owners.push(owner);
  }
  return owners;
}

async function copyFile(ctx: ImportContext, owner: ArtifactOwner, file: ListedFile): Promise<number> {
  const ledgerId = `${owner.kind}:${owner.sourceId}/${file.path}`;
  const key = `${owner.targetRoot}/${file.path}`;
  const { stream } = await ctx.source.download(`${owner.sourceRoot}/${file.path}`);
  const stored = await storeFile({ db: ctx.db, storage: ctx.storage }, key, stream, {
    maxBytes: ctx.options.maxArtifactBytes,
    signal: ctx.signal,
    onRecorded: async (tx, recorded) => {
      if (recorded.size !== file.size)
        throw new Error(`the source listed ${file.size} bytes but sent ${recorded.size}`);
      await ctx.ledger.complete(tx, 'artifact', ledgerId, recorded.key, {
        size: recorded.size,
        sha256: recorded.sha256,
      });
    },
  });
  return stored.size;
}

/** Copies the files of one run or logged model that the ledger does not have yet. */
export async function copyOwnerFiles(ctx: ImportContext, owner: ArtifactOwner): Promise<void> {
  let files: ListedFile[];
  try {
    files = await listOwnerFiles(ctx.source, owner);
  } catch (err) {
    if (!ctx.signal.aborted)
      ctx.report.failed('artifacts', `${owner.kind} ${owner.sourceId}`, errorMessage(err));
    return;
  }
  ctx.progress.grow(files.length);
  let failures = 0;
  await forEachConcurrently(files, ctx.options.concurrency, ctx.signal, async (file) => {
    const ledgerId = `${owner.kind}:${owner.sourceId}/${file.path}`;
    const key = `${owner.targetRoot}/${file.path}`;
    const entry = await ctx.ledger.find(ctx.db, 'artifact', ledgerId);
    if (entry?.completed && (await findStoredFile(ctx.db, key))) {
      ctx.report.alreadyImported('artifact files');
      ctx.progress.tick();
      return;
    }
    try {
      const size = await copyFile(ctx, owner, file);
      ctx.report.bytes += size;
      ctx.report.imported('artifact files');
      ctx.progress.tick(size);
    } catch (err) {
      failures += 1;
      if (ctx.signal.aborted) return;
      ctx.report.failed('artifact files', `${owner.kind} ${owner.sourceId}: ${file.path}`, errorMessage(err));
      await ctx.ledger.fail(ctx.db, 'artifact', ledgerId, errorMessage(err));
      ctx.progress.tick();
    }
  });
  if (!failures && !ctx.signal.aborted)
    await ctx.ledger.complete(ctx.db, 'artifacts-done', `${owner.kind}:${owner.sourceId}`, owner.targetRoot, {
      files: files.length,
    });
}

export async function importArtifacts(ctx: ImportContext): Promise<void> {
  const owners = await pendingOwners(ctx);
  ctx.progress.start('artifacts', 0);
  for (const owner of owners) {
    if (ctx.signal.aborted) break;
    await copyOwnerFiles(ctx, owner);
  }
  ctx.progress.stop();
}
