/**
 * The least a Node server answering semreg's registry reads must do, as a yardstick for `bench:registry-compare`:
 * semreg's own read services (the same statements, the same JSON) on semreg's database, behind a bare
 * `node:http` server. No Express, middleware, schema validation, auth, metrics or request log; a bad request
 * is not its concern (the benchmark sends none). What semreg takes beyond this server is the cost of its HTTP
 * stack; what this server takes is the floor any semreg build would meet on the same machine.
 * Run as its own process: `tsx bench/lib/minimal-read-server.ts <database url> <port>`; `GET /health` answers
 * 200 once it listens. SIGINT stops it.
 */
import http from 'node:http';
import { createDb } from '../../src/db/knex';
import { getModelVersionByAlias } from '../../src/registry/aliases';
import { getModelVersion } from '../../src/registry/model-versions';
import { getRegisteredModel } from '../../src/registry/registered-models';
import { searchModelVersions, searchRegisteredModels } from '../../src/registry/search';
import { getLatestVersions } from '../../src/registry/selectors';

const [databaseUrl, port] = process.argv.slice(2);
const db = createDb(databaseUrl);

type Params = Record<string, string>;
const number = (value: string | undefined) => (value === undefined ? undefined : Number(value));

/** The reads `bench:registry-compare` times, by path below /api/2.0/mlflow. */
const reads: Record<string, (p: Params) => Promise<unknown>> = {
  '/registered-models/get': async (p) => ({ registered_model: await getRegisteredModel(db, p.name) }),
  '/model-versions/get': async (p) => ({ model_version: await getModelVersion(db, p.name, p.version) }),
  '/registered-models/alias': async (p) => ({
    model_version: await getModelVersionByAlias(db, p.name, p.alias),
  }),
  '/registered-models/get-latest-versions': async (p) => ({
    model_versions: await getLatestVersions(db, p.name, undefined),
  }),
  '/registered-models/search': (p) =>
    searchRegisteredModels(db, { filter: p.filter, max_results: number(p.max_results) }),
  '/model-versions/search': (p) =>
    searchModelVersions(db, { filter: p.filter, max_results: number(p.max_results) }),
};

async function body(req: http.IncomingMessage): Promise<Params> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Params) : {};
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/health') {
    res.end('OK');
    return;
  }
  const read = reads[url.pathname.replace('/api/2.0/mlflow', '')];
  if (!read) {
    res.statusCode = 404;
    res.end();
    return;
  }
  body(req)
    .then((sent) => read({ ...Object.fromEntries(url.searchParams), ...sent }))
    .then(
      (output) => {
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify(output));
      },
      (err: Error) => {
        res.statusCode = 500;
        res.end(err.message);
      },
    );
});
server.listen(Number(port), '127.0.0.1');
process.on('SIGINT', () => server.close(() => void db.destroy().then(() => process.exit(0))));
