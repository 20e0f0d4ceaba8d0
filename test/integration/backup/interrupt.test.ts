import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { runSemreg } from '../../helpers/cli';
import { makeDataDir, ServerProcess } from '../../helpers/server-process';
import { Api, filesBelow, newBackupDir, startRegistry } from './support';

/**
 * Ctrl-C stops backup and restore between two files and leaves a state the operator can act on: a backup
 * without a manifest (never restorable by mistake), or a restore target as empty as before.
 */
jest.setTimeout(240_000);

const BIN = path.resolve(__dirname, '../../../bin/semreg.js');
const FILES = 300;

/** Runs semreg and sends it SIGINT once stderr shows `cue`; resolves with how it ended. */
function interruptAt(args: string[], env: Record<string, string>, cue: RegExp) {
  return new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (!sent && cue.test(stderr)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

const lastLine = (text: string) => text.trim().split('\n').at(-1);

describe('Ctrl-C during semreg backup and restore', () => {
  let server: ServerProcess;
  let backupDir: string;

  beforeAll(async () => {
    server = await startRegistry();
    const api = new Api(server.url);
    const body = Buffer.alloc(64 * 1024, 1);
    for (let i = 0; i < FILES; i += 1)
      await api.put(`/api/2.0/mlflow-artifacts/artifacts/0/many/artifacts/f${i}.bin`, body);
    backupDir = newBackupDir();
    const made = await runSemreg(['backup', backupDir], { DATA_DIR: server.dataDir });
    if (made.code !== 0) throw new Error(made.stderr);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('leaves a backup without a manifest, and says so', async () => {
    const dir = newBackupDir();
    const result = await interruptAt(['backup', dir], { DATA_DIR: server.dataDir }, /backup: \d+ files/);
    expect(result.code).toBe(130);
    expect(lastLine(result.stderr)).toMatch(
      /^semreg: interrupted: .* holds an incomplete backup \(no manifest\.json, so it cannot be restored\); delete it and run the backup again$/,
    );
    expect(fs.existsSync(path.join(dir, 'manifest.json'))).toBe(false);
  });

  it('undoes a restore, so the same command can run again', async () => {
    const dataDir = makeDataDir('semreg-restored-');
    const result = await interruptAt(['restore', backupDir], { DATA_DIR: dataDir }, /restore: \d+ files/);
    expect(result.code).toBe(130);
    expect(lastLine(result.stderr)).toMatch(
      /^semreg: interrupted: nothing was restored .*run the same command again$/,
    );
    expect(filesBelow(path.join(dataDir, 'artifacts')).filter((rel) => !rel.startsWith('.tmp'))).toEqual([]);
    const again = await runSemreg(['restore', backupDir], { DATA_DIR: dataDir });
    expect(again.stderr).not.toMatch(/semreg:/);
    expect(again.code).toBe(0);
    expect(filesBelow(path.join(dataDir, 'artifacts')).filter((rel) => !rel.startsWith('.tmp'))).toHaveLength(
      FILES,
    );
  });
});
