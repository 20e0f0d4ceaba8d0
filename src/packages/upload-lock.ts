import crypto from 'node:crypto';
import os from 'node:os';
import type { Queryable } from '../db/knex';
import { isUniqueViolation } from '../db/pg-errors';
import { MlflowError } from '../errors';

/**
 * One upload per package file path at a time. Without it, two uploads of the same new path could both
 * rename their bytes into place and the one that loses the database race would leave its bytes under the
 * winner's row. The lock is a row (not a session lock) because an upload can last an hour and must not hold
 * a database connection meanwhile. A crashed process's locks are taken over: at once when it ran on this host
 * and its pid is gone, otherwise once they are older than the longest request the server allows.
 */
const OWNER = `${os.hostname()}/${process.pid}/${crypto.randomBytes(4).toString('hex')}`;
const FOREIGN_LOCK_MAX_AGE_MS = 2 * 3_600_000;

export interface LockKey {
  model_name: string;
  semver: string;
  path: string;
}

function isAbandoned(owner: string, startedAt: number, now: number): boolean {
  const [host, pid] = owner.split('/');
  if (host !== os.hostname()) return now - startedAt > FOREIGN_LOCK_MAX_AGE_MS;
  if (Number(pid) === process.pid) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'EPERM';
  }
}

/**
 * The part of a lock key shared by every path of one package version: build metadata does not make two
 * versions distinct (semver.org §10), so it does not make two locks distinct either.
 */
export function versionLockScope(modelName: string, semver: string): Omit<LockKey, 'path'> {
  return { model_name: modelName, semver: semver.split('+')[0] };
}

export async function acquireUploadLock(db: Queryable, key: LockKey, now = Date.now()): Promise<void> {
  try {
    await db('package_upload_locks').insert({ ...key, owner: OWNER, started_at: now });
    return;
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
  }
  const held = await db('package_upload_locks').where(key).first();
  if (held && isAbandoned(held.owner, Number(held.started_at), now)) {
    const taken = await db('package_upload_locks')
      .where({ ...key, owner: held.owner })
      .update({ owner: OWNER, started_at: now });
    if (taken === 1) return;
  }
  throw new MlflowError(
    'RESOURCE_CONFLICT',
    `Another upload of '${key.path}' to ${key.model_name} ${key.semver} is in progress; retry when it is done.`,
  );
}

export async function releaseUploadLock(db: Queryable, key: LockKey): Promise<void> {
  await db('package_upload_locks')
    .where({ ...key, owner: OWNER })
    .delete();
}

/** At start-up: forget locks of processes on this host that are gone (the upload died with them). */
export async function releaseAbandonedUploadLocks(db: Queryable, now = Date.now()): Promise<void> {
  const locks: Array<LockKey & { owner: string; started_at: number }> =
    await db('package_upload_locks').select();
  for (const lock of locks) {
    if (isAbandoned(lock.owner, Number(lock.started_at), now)) {
      await db('package_upload_locks')
        .where({ model_name: lock.model_name, semver: lock.semver, path: lock.path, owner: lock.owner })
        .delete();
    }
  }
}
