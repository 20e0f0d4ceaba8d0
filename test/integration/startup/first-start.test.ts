import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packagedBinaries, reachableBinaries } from '../../../src/db/postgres-binaries';
import { initCluster, startPostgres } from '../../../src/db/postgres-process';
import { canEnter, postgresUser } from '../../../src/db/postgres-user';
import { freePort } from '../../../src/net/free-port';
import { call, makeDataDir, ServerProcess, startServer } from '../../helpers/server-process';

/**
 * Issue 15, "first start anywhere": as root, PostgreSQL runs as the `postgres` user, who cannot enter a
 * private directory such as /root (mode 0700) or a `mktemp -d` folder. A DATA_DIR below one must still work,
 * without semreg changing the modes of the user's directories.
 */
const asRoot = process.getuid?.() === 0 ? describe : describe.skip;

asRoot('first start as root with DATA_DIR below a private directory', () => {
  let server: ServerProcess | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('keeps the cluster where postgres can reach it, says where, and finds it again at the next start', async () => {
    const privateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'semreg-private-'));
    expect(fs.statSync(privateDir).mode & 0o777).toBe(0o700);
    const dataDir = path.join(privateDir, 'semreg', 'data');
    const systemRoot = path.join(makeDataDir('semreg-system-'), 'postgres');
    const env = { EMBEDDED_POSTGRES_ROOT: systemRoot, LOG_LEVEL: 'info' };

    server = await startServer({ dataDir, env });
    const created = await call(server.url, 'POST', '/api/2.0/mlflow/registered-models/create', {
      name: 'kept',
    });
    expect(created.status).toBe(200);
    const recorded = fs.readFileSync(path.join(dataDir, 'postgres-location'), 'utf8').trim();
    expect(path.dirname(recorded)).toBe(systemRoot);
    expect(fs.existsSync(path.join(recorded, 'PG_VERSION'))).toBe(true);
    expect(fs.existsSync(path.join(dataDir, 'postgres'))).toBe(false);
    expect(server.output()).toContain(`so its database cluster goes to ${recorded}`);
    await server.stop();

    server = await startServer({ dataDir, env });
    const found = await call(server.url, 'GET', '/api/2.0/mlflow/registered-models/get?name=kept');
    expect(found.status).toBe(200);
    expect(server.output()).toContain(`is in ${recorded}`);
    expect(fs.statSync(privateDir).mode & 0o777).toBe(0o700);
  });

  it('runs PostgreSQL binaries installed below a private directory from a copy postgres can reach', async () => {
    const user = await postgresUser();
    // Like `npm install` in a clone under /root: the package's binaries sit below a directory of mode 0700.
    const privateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'semreg-private-bin-'));
    const packaged = await packagedBinaries();
    const installed = { dir: path.join(privateDir, 'native'), version: `${packaged.version}-test` };
    fs.cpSync(packaged.dir, installed.dir, { recursive: true, verbatimSymlinks: true });
    expect(await canEnter(user, path.join(installed.dir, 'bin'))).toBe(false);

    const systemRoot = path.join(makeDataDir('semreg-system-'), 'postgres');
    const reachable = await reachableBinaries(installed, user, systemRoot);
    expect(reachable.dir).toBe(path.join(systemRoot, `binaries-${installed.version}`));
    expect(await canEnter(user, path.join(reachable.dir, 'bin'))).toBe(true);

    const runtime = { binDir: reachable.dir, user, log: () => undefined };
    const clusterDir = path.join(systemRoot, 'cluster');
    await initCluster(runtime, clusterDir, { user: 'semreg', password: 'secret' });
    const running = await startPostgres(runtime, clusterDir, await freePort());
    await running.stop();
    // A second call reuses the copy.
    expect((await reachableBinaries(installed, user, systemRoot)).dir).toBe(reachable.dir);
    fs.rmSync(privateDir, { recursive: true, force: true });
  });
});
