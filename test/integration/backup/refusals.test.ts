import fs from 'node:fs';
import path from 'node:path';
import { CliResult, runSemreg } from '../../helpers/cli';
import { makeDataDir, ServerProcess } from '../../helpers/server-process';
import { Api, filesBelow, newBackupDir, sha256, startRegistry } from './support';

/**
 * What backup and restore refuse, each with one line naming the cause and an exit code from
 * src/cli/exit-codes.ts (2 usage, 5 integrity, 8 refused), never a stack trace — and a refused restore
 * writes nothing.
 */
jest.setTimeout(180_000);

let server: ServerProcess;
let goodBackup: string;

beforeAll(async () => {
  server = await startRegistry();
  const api = new Api(server.url);
  await api.ok('POST', '/api/2.0/mlflow/registered-models/create', { name: 'refusals' });
  await api.put('/api/packages/refusals/1.0.0/model.bin', 'weights');
  goodBackup = newBackupDir();
  const made = await runSemreg(['backup', goodBackup], { DATA_DIR: server.dataDir });
  if (made.code !== 0) throw new Error(`backup failed: ${made.stderr}`);
});

afterAll(async () => {
  await server?.stop();
});

/** One `semreg:` line last on stderr (after any progress), with the exit code and no stack trace. */
function expectRefusal(result: CliResult, code: number, message: RegExp): void {
  const lines = result.stderr.trim().split('\n');
  expect({ code: result.code, last: lines.at(-1) }).toEqual({ code, last: expect.stringMatching(message) });
  expect(lines.filter((line) => line.startsWith('semreg:'))).toHaveLength(1);
  expect(result.stderr).not.toMatch(/^\s+at /m);
}

/** A copy of the good backup to damage. */
function copyOfBackup(): string {
  const copy = newBackupDir();
  fs.cpSync(goodBackup, copy, { recursive: true });
  return copy;
}

/** A DATA_DIR that does not exist yet, in a directory the embedded PostgreSQL can reach. */
const freshDataDir = (): string => path.join(makeDataDir('semreg-restore-target-'), 'data');

async function restoreInto(backup: string, dataDir = freshDataDir()) {
  const result = await runSemreg(['restore', backup], { DATA_DIR: dataDir });
  return { result, dataDir };
}

describe('semreg backup refuses', () => {
  it('a directory that is not empty', async () => {
    expectRefusal(
      await runSemreg(['backup', goodBackup], { DATA_DIR: server.dataDir }),
      2,
      /^semreg: the backup directory .* is not empty: give a new or empty directory/,
    );
  });

  it('a directory it cannot create', async () => {
    const file = path.join(makeDataDir(), 'a-file');
    fs.writeFileSync(file, '');
    expectRefusal(
      await runSemreg(['backup', path.join(file, 'backup')], { DATA_DIR: server.dataDir }),
      2,
      /^semreg: cannot write to the backup directory .*a-file\/backup \(ENOTDIR\): choose a directory this user can write/,
    );
  });

  it('a file in place of the directory', async () => {
    const file = path.join(makeDataDir(), 'a-file');
    fs.writeFileSync(file, '');
    expectRefusal(
      await runSemreg(['backup', file], { DATA_DIR: server.dataDir }),
      2,
      /^semreg: the backup directory .*a-file is a file: give a new or empty directory$/,
    );
  });

  it('a DATA_DIR without a database, instead of creating one', async () => {
    const empty = makeDataDir();
    expectRefusal(
      await runSemreg(['backup', newBackupDir()], { DATA_DIR: empty }),
      2,
      /^semreg: DATA_DIR .* has no semreg database/,
    );
    expect(fs.readdirSync(empty)).toEqual([]);
  });
});

describe('semreg backup stops without a manifest', () => {
  it('when a stored file no longer has the sha256 the database recorded', async () => {
    const root = path.join(server.dataDir, 'artifacts');
    const file = path.join(
      root,
      filesBelow(root).find((rel) => rel.endsWith('model.bin'))!,
    );
    const original = fs.readFileSync(file);
    fs.writeFileSync(file, 'rotten!'); // the same size as 'weights': only the sha256 tells
    try {
      const dir = newBackupDir();
      expectRefusal(
        await runSemreg(['backup', dir], { DATA_DIR: server.dataDir }),
        5,
        /^semreg: 1 stored file\(s\) are missing or differ from the sha256 the database recorded \(packages\/.*model\.bin\): the store is damaged; the backup in .* is incomplete$/,
      );
      expect(fs.existsSync(path.join(dir, 'manifest.json'))).toBe(false);
    } finally {
      fs.writeFileSync(file, original);
    }
  });
});

describe('semreg restore refuses, before writing anything,', () => {
  it('a backup whose table data was altered', async () => {
    const backup = copyOfBackup();
    fs.appendFileSync(path.join(backup, 'database', 'registered_models.copy'), '99\tinjected\n');
    const { result, dataDir } = await restoreInto(backup);
    expectRefusal(
      result,
      5,
      /^semreg: the backup in .* is damaged or incomplete: 1 file\(s\) fail .*registered_models\.copy differs/,
    );
    expect(fs.existsSync(dataDir)).toBe(false);
  });

  it('a backup that lost a stored file', async () => {
    const backup = copyOfBackup();
    fs.rmSync(path.join(backup, 'files'), { recursive: true });
    const { result, dataDir } = await restoreInto(backup);
    expectRefusal(
      result,
      5,
      /^semreg: the backup in .* is damaged or incomplete: .*files\/packages\/.*model\.bin is missing/,
    );
    expect(fs.existsSync(dataDir)).toBe(false);
  });

  it('a backup that did not finish (no manifest)', async () => {
    const backup = copyOfBackup();
    fs.rmSync(path.join(backup, 'manifest.json'));
    const { result } = await restoreInto(backup);
    expectRefusal(
      result,
      5,
      /^semreg: .* holds no manifest\.json: it is not a semreg backup, or the backup did not finish/,
    );
  });

  it('a manifest that no longer lists every file of its backup', async () => {
    const backup = copyOfBackup();
    const file = path.join(backup, 'manifest.json');
    const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
    delete manifest.files['database/model_versions.copy'];
    fs.writeFileSync(file, JSON.stringify(manifest));
    const { result } = await restoreInto(backup);
    expectRefusal(result, 5, /does not list every file its backup holds \(database\/model_versions\.copy\)/);
  });

  it('a manifest naming a file outside the backup', async () => {
    const backup = copyOfBackup();
    const file = path.join(backup, 'manifest.json');
    const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
    manifest.files['../../etc/passwd'] = { size: 1, sha256: '0'.repeat(64) };
    fs.writeFileSync(file, JSON.stringify(manifest));
    const { result } = await restoreInto(backup);
    expectRefusal(result, 5, /names a file outside itself/);
  });

  it('a backup made by a newer semreg (a migration this one does not know)', async () => {
    const backup = copyOfBackup();
    const file = path.join(backup, 'manifest.json');
    const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
    manifest.migrations.push('999_from_the_future');
    manifest.migration_head = '999_from_the_future';
    fs.writeFileSync(file, JSON.stringify(manifest));
    const { result, dataDir } = await restoreInto(backup);
    expectRefusal(
      result,
      8,
      /^semreg: the backup's database is at migration 999_from_the_future .* which this semreg does not know/,
    );
    expect(fs.existsSync(dataDir)).toBe(false);
  });

  it('rows the database constraints refuse, even with a manifest altered to match, and leaves nothing behind', async () => {
    const backup = copyOfBackup();
    const table = path.join(backup, 'database', 'model_versions.copy');
    // A negative major version (semver.org §2: non-negative integers), which a CHECK constraint refuses.
    fs.writeFileSync(table, fs.readFileSync(table, 'utf8').replace(/\t1\t0\t0\t/, '\t-1\t0\t0\t'));
    const file = path.join(backup, 'manifest.json');
    const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
    const bytes = fs.readFileSync(table);
    manifest.files['database/model_versions.copy'] = { size: bytes.length, sha256: sha256(bytes) };
    fs.writeFileSync(file, JSON.stringify(manifest));
    const dataDir = freshDataDir();
    const { result } = await restoreInto(backup, dataDir);
    expectRefusal(
      result,
      5,
      /^semreg: restoring the database failed \(.*model_versions.*\); nothing was restored: the backup holds rows semreg would not have written$/,
    );
    // The transaction rolled back and the files went again: the good backup restores into the same DATA_DIR.
    expect(filesBelow(path.join(dataDir, 'artifacts')).filter((rel) => !rel.startsWith('.tmp'))).toEqual([]);
    expect((await restoreInto(goodBackup, dataDir)).result).toMatchObject({ code: 0 });
  });

  it('the DATA_DIR of a running server', async () => {
    const { result } = await restoreInto(goodBackup, server.dataDir);
    expectRefusal(
      result,
      8,
      /^semreg: another semreg \(pid \d+\) is already serving DATA_DIR .*: stop it before restoring/,
    );
  });

  it('a database that already holds a registry', async () => {
    const dataDir = freshDataDir();
    expect((await restoreInto(goodBackup, dataDir)).result.code).toBe(0);
    const { result } = await restoreInto(goodBackup, dataDir);
    expectRefusal(
      result,
      8,
      /^semreg: the target database in DATA_DIR .* is not empty .*restore only into an empty one/,
    );
  });

  it('an artifact store that already holds files, leaving the database empty', async () => {
    const dataDir = freshDataDir();
    fs.mkdirSync(path.join(dataDir, 'artifacts', 'stray'), { recursive: true });
    fs.chmodSync(dataDir, 0o755);
    const { result } = await restoreInto(goodBackup, dataDir);
    expectRefusal(result, 8, /^semreg: the artifact store .* is not empty \(it holds stray\)/);
    // Nothing was written: the same restore succeeds once the store is empty.
    fs.rmSync(path.join(dataDir, 'artifacts', 'stray'), { recursive: true });
    expect((await restoreInto(goodBackup, dataDir)).result).toMatchObject({ code: 0 });
  });
});
