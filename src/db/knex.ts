import knex, { Knex } from 'knex';
import pg from 'pg';
import type { Logger } from '../log';

/**
 * BIGINT (int8) arrives from `pg` as a string. Timestamps and sizes fit in a double, so they become numbers;
 * a value past Number.MAX_SAFE_INTEGER (a metric step can be one) stays a string, which MLflow's client
 * also accepts (mlflow-compat.md §1.4).
 */
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => {
  const parsed = Number(value);
  return Number.isSafeInteger(parsed) ? parsed : value;
});

export type Db = Knex;
export type Tx = Knex.Transaction;
/** A knex handle or a transaction: services take either, so the caller decides the transaction boundary. */
export type Queryable = Knex | Knex.Transaction;

/** `log` receives knex's own warnings (pool errors, deprecations) instead of console.log. */
export function createDb(databaseUrl: string, poolMax = 10, log?: Logger): Db {
  const quiet = () => undefined;
  return knex({
    log: {
      warn: (message: unknown) => (log ? log.warn({ knex: String(message) }) : quiet()),
      error: (message: unknown) => (log ? log.error({ knex: String(message) }) : quiet()),
      deprecate: (message: unknown) => (log ? log.debug({ knex: String(message) }) : quiet()),
      debug: (message: unknown) => (log ? log.debug({ knex: String(message) }) : quiet()),
    },
    client: 'pg',
    connection: { connectionString: databaseUrl, application_name: 'semreg' },
    // Fail fast when PostgreSQL is down so the request gets 503 TEMPORARILY_UNAVAILABLE (which the MLflow
    // client retries) instead of hanging past the client's 120 s timeout.
    acquireConnectionTimeout: 5000,
    pool: { min: 0, max: poolMax, idleTimeoutMillis: 10000 },
  });
}
