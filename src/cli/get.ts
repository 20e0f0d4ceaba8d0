import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import cliProgress from 'cli-progress';
import type { SemregClient } from './client';
import { download } from './client';
import { CliError, EXIT } from './exit-codes';
import { parseModelRef } from './model-ref';

/**
 * `semreg get <ref> -o <dir>`: asks for signed links to every file of the version, downloads each to a
 * temporary name, checks its sha256 against the server's, and only then renames it into place, so a failed
 * or corrupted download never leaves a file that looks complete.
 */
function localTarget(outDir: string, remotePath: string): string {
  // The server names the files; still, never let a name leave the output directory.
  const segments = remotePath.split('/');
  if (
    remotePath.includes('\\') ||
    remotePath.startsWith('/') ||
    segments.some((s) => s === '..' || s === '')
  ) {
    throw new CliError(`Refusing to write unsafe path '${remotePath}'.`, EXIT.UNEXPECTED);
  }
  const root = path.resolve(outDir);
  const target = path.resolve(root, ...segments);
  if (!target.startsWith(root + path.sep))
    throw new CliError(`Refusing to write unsafe path '${remotePath}'.`, EXIT.UNEXPECTED);
  return target;
}

export async function getModel(
  client: SemregClient,
  ref: string,
  outDir: string,
  options: { progress: boolean; log: (line: string) => void },
): Promise<void> {
  const { model, selector } = parseModelRef(ref);
  const links = await client.json<Record<string, string>>(
    'GET',
    `/api/models/${encodeURIComponent(model)}/download-uris`,
    { query: selector },
  );
  const files = Object.entries(links);
  if (files.length === 0)
    throw new CliError(`The selected version of '${model}' has no files.`, EXIT.NOT_FOUND);

  const bar = options.progress
    ? new cliProgress.SingleBar(
        { format: '{bar} {percentage}% | {value}/{total} bytes | {file}', hideCursor: true },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  bar?.start(0, 0, { file: '' });
  let total = 0;
  let done = 0;
  try {
    for (const [remotePath, url] of files) {
      const target = localTarget(outDir, remotePath);
      await fs.promises.mkdir(path.dirname(target), { recursive: true });
      const temp = `${target}.semreg-${crypto.randomBytes(4).toString('hex')}.part`;
      const hash = crypto.createHash('sha256');
      try {
        const result = await download(
          url,
          fs.createWriteStream(temp),
          (chunk) => {
            hash.update(chunk);
            done += chunk.length;
            bar?.update(done, { file: remotePath });
          },
          (size) => {
            total += size;
            bar?.setTotal(total);
          },
        );
        const actual = hash.digest('hex');
        if (!result.sha256)
          throw new CliError(
            `The server sent no checksum for '${remotePath}'; not trusting it.`,
            EXIT.INTEGRITY,
          );
        if (result.sha256 !== actual) {
          throw new CliError(
            `sha256 mismatch for '${remotePath}': expected ${result.sha256}, got ${actual}.`,
            EXIT.INTEGRITY,
          );
        }
        await fs.promises.rename(temp, target);
        if (!bar) options.log(`${actual}  ${remotePath}`);
      } finally {
        await fs.promises.rm(temp, { force: true });
      }
    }
  } finally {
    bar?.stop();
  }
  options.log(`Downloaded ${files.length} file(s) of ${ref} to ${path.resolve(outDir)}`);
}
