import { freePort } from '../../src/net/free-port';
import { SpawnedServer, startHttpServer } from './spawned-server';

/**
 * Spawns `node dist/main.js` as `npm start` does (the benchmark scripts build dist/ first when stale), on 127.0.0.1 and a free port, LOG_LEVEL=warn, AUTH=off.
 * Without `DATABASE_URL` in `env` the server starts its own embedded PostgreSQL under `dataDir`.
 * `env` entries set to undefined are removed from the inherited environment.
 */
export async function startSemreg(
  dataDir: string,
  env: Record<string, string | undefined> = {},
): Promise<SpawnedServer> {
  const port = await freePort();
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
  };
  childEnv.LOG_LEVEL = 'warn';
  childEnv.AUTH = 'off';
  delete childEnv.DATABASE_URL;
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete childEnv[key];
    else childEnv[key] = value;
  }
  return startHttpServer({
    command: process.execPath,
    args: ['dist/main.js'],
    env: childEnv,
    port,
    label: 'semreg',
    timeoutMs: 90_000,
  });
}
