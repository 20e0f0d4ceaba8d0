import { freePort } from '../../src/net/free-port';
import { SpawnedServer, startHttpServer } from './spawned-server';

/**
 * Spawns `node dist/main.js` as `npm start` does (the benchmark scripts build dist/ first when stale), on
 * 127.0.0.1 and a free port, AUTH=off, logging at its default level (info: one line per request, into a pipe
 * that is read and dropped — the cost of the request log is part of what is measured).
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
  childEnv.LOG_LEVEL = 'info';
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
    discardStdout: true,
  });
}
