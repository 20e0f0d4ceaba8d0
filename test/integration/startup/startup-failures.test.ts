import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { mountSmallFileSystem } from '../../helpers/small-filesystem';
import { oldPostgresAvailable, startOldPostgres } from '../../helpers/old-postgres';
import { runS3 } from '../../helpers/seaweedfs';
import {
  freePort,
  freshDatabaseUrl,
  makeDataDir,
  runFailingStart,
  ServerProcess,
  startServer,
} from '../../helpers/server-process';

/**
 * Issue 15: every start-up failure a person can cause is one line on stderr naming the cause and the fix,
 * exit status 1, no stack trace. Each case arranges the real situation (a taken port, a read-only or full file
 * system, a real PostgreSQL that refuses, is too old or already has a conflicting table, a running semreg)
 * and starts the real `node dist/main.js`.
 */
interface Arranged {
  env: Record<string, string>;
  cleanup?: () => Promise<void> | void;
  /** Checked after the failed start, before cleanup. */
  after?: () => Promise<void> | void;
}

interface Case {
  name: string;
  arrange: () => Promise<Arranged>;
  /** What the line must say: the cause and the fix. */
  says: RegExp[];
  /** Why the case cannot be arranged here (e.g. it needs root for `mount`), or undefined. */
  unavailable?: string;
}

const isRoot = process.getuid?.() === 0;

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

async function withDatabaseUrl(extra: Record<string, string> = {}): Promise<Record<string, string>> {
  return {
    DATA_DIR: makeDataDir('semreg-start-'),
    PORT: String(await freePort()),
    DATABASE_URL: await freshDatabaseUrl(),
    ...extra,
  };
}

function withUrl(change: (url: URL) => void): string {
  const url = new URL(process.env.TEST_DATABASE_URL!);
  change(url);
  return url.toString();
}

const cases: Case[] = [
  {
    name: 'the port is taken',
    arrange: async () => {
      const blocker = net.createServer();
      const port = await freePort();
      await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
      return { env: await withDatabaseUrl({ PORT: String(port) }), cleanup: () => closeServer(blocker) };
    },
    says: [/port \d+ on 127\.0\.0\.1 is already in use/, /set PORT to a free port/],
  },
  {
    name: 'the metrics port is taken',
    arrange: async () => {
      const blocker = net.createServer();
      const port = await freePort();
      await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
      return {
        env: await withDatabaseUrl({ METRICS_PORT: String(port) }),
        cleanup: () => closeServer(blocker),
      };
    },
    says: [/port \d+ on 127\.0\.0\.1 is already in use/, /set METRICS_PORT to a free port/],
  },
  {
    name: 'DATA_DIR is on a read-only file system',
    unavailable: isRoot ? undefined : 'needs root to mount a read-only file system',
    arrange: async () => {
      const mountPoint = path.join(makeDataDir('semreg-ro-'), 'ro');
      fs.mkdirSync(mountPoint);
      mountSmallFileSystem(mountPoint, 1, { readOnly: true });
      return {
        env: await withDatabaseUrl({ DATA_DIR: path.join(mountPoint, 'data') }),
        cleanup: () => {
          execFileSync('umount', [mountPoint]);
        },
      };
    },
    says: [
      /DATA_DIR \S+\/ro\/data is not writable \(EROFS\)/,
      /set DATA_DIR to a directory this user can write/,
    ],
  },
  {
    name: 'ARTIFACT_ROOT is on a read-only file system',
    unavailable: isRoot ? undefined : 'needs root to mount a read-only file system',
    arrange: async () => {
      const mountPoint = path.join(makeDataDir('semreg-ro-artifacts-'), 'ro');
      fs.mkdirSync(mountPoint);
      mountSmallFileSystem(mountPoint, 1, { readOnly: true });
      return {
        env: await withDatabaseUrl({ ARTIFACT_ROOT: mountPoint }),
        cleanup: () => {
          execFileSync('umount', [mountPoint]);
        },
      };
    },
    says: [
      /ARTIFACT_ROOT \S+\/ro is not writable \(EROFS\)/,
      /set ARTIFACT_ROOT to a directory this user can write/,
    ],
  },
  {
    name: 'DATA_DIR is a file',
    arrange: async () => {
      const file = path.join(makeDataDir('semreg-file-'), 'not-a-dir');
      fs.writeFileSync(file, 'x');
      return { env: await withDatabaseUrl({ DATA_DIR: file }) };
    },
    says: [/DATA_DIR \S+not-a-dir is not a directory/, /set DATA_DIR to a directory/],
  },
  {
    name: 'DATABASE_URL points at nothing',
    arrange: async () => ({
      env: await withDatabaseUrl({
        DATABASE_URL: `postgres://semreg:x@127.0.0.1:${await freePort()}/semreg`,
      }),
    }),
    says: [/cannot reach PostgreSQL at semreg@127\.0\.0\.1:\d+\/semreg: connection refused/, /DATABASE_URL/],
  },
  {
    name: 'DATABASE_URL has the wrong password',
    arrange: async () => ({
      env: await withDatabaseUrl({ DATABASE_URL: withUrl((url) => (url.password = 'wrong-password')) }),
    }),
    says: [/refused the password/, /fix the user name or password in DATABASE_URL/],
  },
  {
    name: 'the database in DATABASE_URL does not exist',
    arrange: async () => ({
      env: await withDatabaseUrl({ DATABASE_URL: withUrl((url) => (url.pathname = '/no_such_database')) }),
    }),
    says: [/the database in DATABASE_URL does not exist/, /createdb/],
  },
  {
    name: 'PostgreSQL is older than 15',
    unavailable: oldPostgresAvailable ? undefined : 'PostgreSQL 14 binaries exist for linux-x64 only',
    arrange: async () => {
      const old = await startOldPostgres();
      return { env: await withDatabaseUrl({ DATABASE_URL: old.url }), cleanup: () => old.stop() };
    },
    says: [/PostgreSQL 14\.\d+ at semreg@127\.0\.0\.1:\d+\/postgres is too old/, /15 or newer/],
  },
  {
    name: 'the disk fills up while the embedded cluster is created',
    unavailable: isRoot ? undefined : 'needs root to mount a small file system',
    arrange: async () => {
      const dataDir = path.join(makeDataDir('semreg-full-'), 'data');
      fs.mkdirSync(dataDir);
      mountSmallFileSystem(dataDir, 8);
      return {
        env: { DATA_DIR: dataDir, PORT: String(await freePort()) },
        // initdb removes what it wrote, so freeing space and starting again works.
        after: () => expect(fs.existsSync(path.join(dataDir, 'postgres', 'PG_VERSION'))).toBe(false),
        cleanup: () => {
          execFileSync('umount', [dataDir]);
        },
      };
    },
    says: [
      /no space left on the disk while creating the database cluster in \S+\/data\/postgres/,
      /free space/,
    ],
  },
  {
    name: 'another semreg serves the same DATA_DIR',
    arrange: async () => {
      const first: ServerProcess = await startServer();
      return {
        env: { DATA_DIR: first.dataDir, PORT: String(await freePort()) },
        after: async () => expect((await fetch(`${first.url}/health`)).status).toBe(200),
        cleanup: () => first.stop(),
      };
    },
    says: [
      /another semreg \(pid \d+\) is already serving DATA_DIR/,
      /stop it first, or give this one its own DATA_DIR/,
    ],
  },
  {
    name: 'a migration fails',
    arrange: async () => {
      const env = await withDatabaseUrl();
      const client = new pg.Client({ connectionString: env.DATABASE_URL });
      await client.connect();
      await client.query('CREATE TABLE registered_models (something_else int)');
      await client.end();
      return { env };
    },
    says: [
      /database migration 001_registry failed: .*relation "registered_models" already exists/,
      /nothing of this start was applied/,
      /fix the cause/,
    ],
  },
  {
    name: 'a setting is invalid',
    arrange: async () => ({ env: await withDatabaseUrl({ PORT: 'five-thousand' }) }),
    says: [/invalid configuration: PORT must be an integer >= 0, got 'five-thousand'/],
  },
  {
    name: 'the S3 store refuses the credentials',
    arrange: async () => {
      const s3 = runS3();
      const bucket = await s3.newBucket('start');
      return { env: await withDatabaseUrl({ ...s3.env(bucket, 'semreg'), AWS_SECRET_ACCESS_KEY: 'wrong' }) };
    },
    says: [
      /the artifact store at S3_ENDPOINT_URL=http:\/\/127\.0\.0\.1:\d+ refused semreg's credentials/,
      /fix AWS_ACCESS_KEY_ID\/AWS_SECRET_ACCESS_KEY/,
    ],
  },
  {
    name: "the S3 store's bucket does not exist",
    arrange: async () => ({ env: await withDatabaseUrl(runS3().env('no-such-bucket', 'semreg')) }),
    says: [
      /the bucket of ARTIFACTS_DESTINATION \(s3:\/\/no-such-bucket\) does not exist/,
      /create it or fix ARTIFACTS_DESTINATION/,
    ],
  },
  {
    name: 'the S3 store is unreachable',
    arrange: async () => {
      const closed = `http://127.0.0.1:${await freePort()}`;
      return { env: await withDatabaseUrl({ ...runS3().env('semreg', 'x'), S3_ENDPOINT_URL: closed }) };
    },
    says: [
      /the artifact store at S3_ENDPOINT_URL=\S+ is unreachable \(ECONNREFUSED\)/,
      /start it or fix S3_ENDPOINT_URL/,
    ],
  },
  {
    name: "DATA_DIR's recorded cluster location is gone",
    arrange: async () => {
      const dataDir = makeDataDir('semreg-moved-');
      fs.writeFileSync(path.join(dataDir, 'postgres-location'), '/nonexistent/semreg-cluster\n');
      return { env: { DATA_DIR: dataDir, PORT: String(await freePort()) } };
    },
    says: [
      /says DATA_DIR's database is in \/nonexistent\/semreg-cluster, but no PostgreSQL cluster is there/,
      /restore it/,
    ],
  },
];

describe('start-up failures: one line with cause and fix, exit 1, no stack trace', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    if (c.unavailable) {
      console.warn(`skipped "${c.name}": ${c.unavailable}`);
      return;
    }
    let arranged: Arranged;
    try {
      arranged = await c.arrange();
    } catch (err) {
      // Root inside a container without CAP_SYS_ADMIN may not mount: that case cannot be arranged here.
      if (!String(err).includes('cannot mount a small file system here')) throw err;
      console.warn(`skipped "${c.name}": ${String(err)}`);
      return;
    }
    const { env, cleanup, after } = arranged;
    try {
      const result = await runFailingStart({ HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env });
      const lines = result.stderr.split('\n').filter((line) => line.trim() !== '');
      expect(lines).toEqual([expect.stringMatching(/^semreg could not start: /)]);
      for (const pattern of c.says) expect(lines[0]).toMatch(pattern);
      expect(result.code).toBe(1);
      expect(`${result.stdout}\n${result.stderr}`).not.toMatch(/\n\s+at \S/);
      await after?.();
    } finally {
      await cleanup?.();
    }
  });
});
