import pg from 'pg';
import { firstLine, StartupFailure } from '../startup/startup-failure';

/** semreg's schema uses UNIQUE NULLS NOT DISTINCT (metric de-duplication), new in PostgreSQL 15. */
const OLDEST_SUPPORTED = 150000;

/** `user@host:port/database`: enough to recognise the server, never the password. */
function describe(url: string): string {
  try {
    const parsed = new URL(url);
    const user = parsed.username ? `${decodeURIComponent(parsed.username)}@` : '';
    return `${user}${parsed.host}${parsed.pathname}`;
  } catch {
    return 'the configured server';
  }
}

function codeOf(err: unknown): string | undefined {
  const own = (err as { code?: string }).code;
  if (own) return own;
  // `localhost` may resolve to ::1 and 127.0.0.1; Node then reports an AggregateError of both attempts.
  return (err as { errors?: { code?: string }[] }).errors?.[0]?.code;
}

function explainConnectError(err: unknown, target: string): StartupFailure {
  const cause = { cause: err };
  switch (codeOf(err)) {
    case 'ECONNREFUSED':
      return new StartupFailure(
        `cannot reach PostgreSQL at ${target}: connection refused; start PostgreSQL or fix the host and port in DATABASE_URL`,
        cause,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new StartupFailure(
        `cannot reach PostgreSQL at ${target}: the host name does not resolve; fix the host in DATABASE_URL`,
        cause,
      );
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new StartupFailure(
        `cannot reach PostgreSQL at ${target}: no answer from the network; check the host, port and firewall for DATABASE_URL`,
        cause,
      );
    case '28P01':
      return new StartupFailure(
        `PostgreSQL at ${target} refused the password: fix the user name or password in DATABASE_URL`,
        cause,
      );
    case '28000':
      return new StartupFailure(
        `PostgreSQL at ${target} refused this connection (${firstLine(err)}): fix the user in DATABASE_URL or the server's pg_hba.conf`,
        cause,
      );
    case '3D000':
      return new StartupFailure(
        `the database in DATABASE_URL does not exist on ${target}: create it (createdb) or fix the database name`,
        cause,
      );
    default:
      return new StartupFailure(
        `cannot connect to PostgreSQL at ${target} (DATABASE_URL): ${firstLine(err)}`,
        cause,
      );
  }
}

/**
 * Connects to DATABASE_URL once before anything else, so that an unreachable, misconfigured or too old
 * PostgreSQL stops the start with one line that names the cause and the fix.
 */
export async function checkDatabase(url: string): Promise<void> {
  const target = describe(url);
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  // An error event after connect (server restart) must not crash the check; the query then fails instead.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    throw explainConnectError(err, target);
  }
  try {
    const { rows } = await client.query<{ num: string; version: string }>(
      "SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS version",
    );
    if (Number(rows[0].num) < OLDEST_SUPPORTED) {
      throw new StartupFailure(
        `PostgreSQL ${rows[0].version} at ${target} is too old: semreg needs PostgreSQL 15 or newer; upgrade it or point DATABASE_URL at a newer server`,
      );
    }
  } finally {
    await client.end();
  }
}
