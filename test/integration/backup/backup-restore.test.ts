import fs from 'node:fs';
import path from 'node:path';
import { migrations } from '../../../migrations';
import { runSemreg } from '../../helpers/cli';
import { makeDataDir, ServerProcess, startServer } from '../../helpers/server-process';
import {
  Api,
  fillAll,
  filesBelow,
  newBackupDir,
  readView,
  Registry,
  SERVER_ENV,
  sha256,
  startRegistry,
} from './support';

/**
 * Issue 16, "Backup and restore": `semreg backup <dir>` of a running server and `semreg restore <dir>` into a
 * fresh DATA_DIR give an instance that every client sees exactly as the original — registry, tracking,
 * files, packages, tokens, webhooks and history — with real processes and the real embedded PostgreSQL.
 */
jest.setTimeout(240_000);

/** Fields that change merely because the view was read (the admin token's last use). */
function comparable(view: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(view, (key, value) => (key === 'last_used_at' ? undefined : value)));
}

describe('semreg backup and semreg restore', () => {
  let source: ServerProcess;
  let restored: ServerProcess;
  let registry: Registry;
  let backupDir: string;
  let backup: { code: number | null; stdout: string; stderr: string };
  let restore: { code: number | null; stdout: string; stderr: string };
  let restoredDataDir: string;

  beforeAll(async () => {
    source = await startRegistry();
    registry = await fillAll(new Api(source.url));
    backupDir = newBackupDir();
    // Online: the source server keeps running (and holding DATA_DIR) while the backup reads it.
    backup = await runSemreg(['backup', backupDir], { DATA_DIR: source.dataDir });
    restoredDataDir = makeDataDir('semreg-restored-');
    restore = await runSemreg(['restore', backupDir], { DATA_DIR: restoredDataDir });
    if (restore.code === 0) restored = await startServer({ dataDir: restoredDataDir, env: SERVER_ENV });
  });

  afterAll(async () => {
    await restored?.stop();
    await source?.stop();
  });

  it('backs up a running server and says what it wrote', () => {
    expect(backup.stderr).not.toMatch(/error/i);
    expect(backup.code).toBe(0);
    expect(backup.stdout).toMatch(
      new RegExp(`^backup written to ${backupDir}: migration ${migrations.at(-1)![0]}, \\d+ tables`),
    );
  });

  it('writes a manifest with the version, the migration head, row counts and every file with its sha256', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(backupDir, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({
      format: 'semreg-backup/1',
      semreg_version: expect.any(String),
      migration_head: migrations.at(-1)![0],
      migrations: migrations.map(([name]) => name),
      store: { kind: 'local' },
    });
    expect(Date.parse(manifest.created_at)).toBeGreaterThan(Date.now() - 600_000);
    const rows = Object.fromEntries(
      manifest.tables.map((t: { name: string; rows: number }) => [t.name, t.rows]),
    );
    // 3 MLflow versions of churn + the package version 2.0.0; 2 models left (one deleted).
    expect(rows).toMatchObject({
      registered_models: 2,
      model_versions: 4,
      runs: 2,
      metrics: 80,
      webhooks: 1,
      stage_policies: 1,
    });
    expect(rows.webhook_deliveries).toBeGreaterThan(0);
    expect(rows.events).toBeGreaterThan(10);
    // 3 files per run and 2 package files (the third was deleted).
    expect(manifest.stored_files.count).toBe(8);
    const onDisk = filesBelow(backupDir).filter((rel) => rel !== 'manifest.json');
    expect(Object.keys(manifest.files).sort()).toEqual(onDisk);
    for (const rel of onDisk) {
      const bytes = fs.readFileSync(path.join(backupDir, rel));
      expect({ rel, size: bytes.length, sha256: sha256(bytes) }).toEqual({ rel, ...manifest.files[rel] });
    }
  });

  it('restores into a fresh DATA_DIR', () => {
    expect(restore.stderr).not.toMatch(/error/i);
    expect(restore.code).toBe(0);
    expect(restore.stdout).toMatch(/^restored .*: migration \d+_\w+, \d+ tables \(\d+ rows\), 8 files/);
  });

  it('answers every read on the restored server exactly as the original', async () => {
    const before = comparable(await readView(new Api(source.url), registry));
    const after = comparable(await readView(new Api(restored.url), registry));
    const answered = Object.values(before).filter((a) => (a as { status?: number }).status === 200);
    expect(answered.length).toBeGreaterThan(25);
    expect(after).toEqual(before);
  });

  it('holds the same bytes in the restored artifact store as in the original', () => {
    const root = (dir: string) => path.join(dir, 'artifacts');
    const files = (dir: string) => filesBelow(root(dir)).filter((rel) => !rel.startsWith('.tmp'));
    expect(files(restoredDataDir)).toEqual(files(source.dataDir));
    for (const rel of files(source.dataDir))
      expect(sha256(fs.readFileSync(path.join(root(restoredDataDir), rel)))).toBe(
        sha256(fs.readFileSync(path.join(root(source.dataDir), rel))),
      );
  });

  it('accepts the tokens of the original and refuses what their scope does not allow', async () => {
    const reader = new Api(restored.url, registry.readToken);
    expect((await reader.request('GET', '/api/2.0/mlflow/registered-models/search')).status).toBe(200);
    const write = await reader.request('POST', '/api/2.0/mlflow/registered-models/create', { name: 'nope' });
    expect(write.status).toBe(403);
  });

  it('hands out ids after the backup’s, so history never mixes a deleted model with a new one', async () => {
    const api = new Api(restored.url);
    const { events: old } = await api.ok('GET', '/api/events?max_results=1000');
    const lastId = Math.max(...old.map((e: { id: number | string }) => Number(e.id)));
    await api.ok('POST', '/api/2.0/mlflow/registered-models/create', { name: 'after-restore' });
    const { events } = await api.ok('GET', '/api/events?model=after-restore');
    expect(Number(events[0].id)).toBeGreaterThan(lastId);
    // The version counter continues too: after versions 1-3 and the package's version 4, churn's next is 5.
    const { model_version: next } = await api.ok('POST', '/api/2.0/mlflow/model-versions/create', {
      name: registry.models[0],
      source: 's3://elsewhere/model',
    });
    expect(next.version).toBe('5');
  });
});
