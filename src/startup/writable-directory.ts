import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { explainDirectoryError } from './startup-failure';

/**
 * `mkdir -p`, but with the real reason when it fails: Node's recursive mkdir reports ENOENT for some failures
 * (on a read-only file system, for one), which creating the first missing directory alone reports correctly.
 */
async function makeDirectory(dir: string): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    let missing = dir;
    while (!fsSync.existsSync(path.dirname(missing)) && path.dirname(missing) !== missing) {
      missing = path.dirname(missing);
    }
    await fs.mkdir(missing, { mode: 0o755 });
    throw err;
  }
}

/**
 * Creates `dir` when missing and proves this process can write in it, so a read-only or misnamed directory
 * stops the start with one clear line instead of failing later, halfway through creating a database cluster.
 */
export async function ensureWritableDirectory(dir: string, setting: string): Promise<void> {
  try {
    await makeDirectory(dir);
    const probe = path.join(dir, `.write-test-${process.pid}`);
    await fs.writeFile(probe, '');
    await fs.rm(probe);
  } catch (err) {
    throw explainDirectoryError(err, setting, dir) ?? err;
  }
}
