import crypto from 'node:crypto';
import os from 'node:os';
import type { Queryable } from '../db/knex';
import { isUniqueViolation } from '../db/pg-errors';
import { MlflowError } from '../errors';

/**
 * One upload per package file path at a time. Without it, two uploads of the same new path could both
 * rename their bytes into place and the one that loses the database race would leave its bytes under the
 * winner's row. The lock is a row (not a session lock) because an upload can last an hour and must not hold
 * a database connection meanwhile. A lock is a lease: a running server renews its locks' `started_at` every
 * LEASE_RENEW_MS (`startLeaseRenewal`), so a crashed process's locks are taken over at once when it ran on this
 * host and its pid is gone, and otherwise (another replica, another host) once their lease has run out —
 * minutes, not the length of the longest upload.
 */
const OWNER = `${os.hostname()}/${process.pid}/${crypto.randomBytes(4).toString('hex')}`;
const LEASE_RENEW_MS = 30_000;
/** Four missed renewals: the owner is gone (or cut off from the database, where its upload fails anyway). */
const FOREIGN_LEASE_MS = 4 * LEASE_RENEW_MS;

export interface LockKey {
  model_name: string;
  semver: string;
  path: string;
}

function isAbandoned(owner: string, startedAt: number, now: number): boolean {
  if (owner === OWNER) return false;
  const [host, pid] = owner.split('/');
  if (host !== os.hostname()) return now - startedAt > FOREIGN_LEASE_MS;
  // Our pid but not our lock: an earlier incarnation (a restarted container's node is pid 1 every time).
  if (Number(pid) === process.pid) return true;
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

/** Renews this process's leases until the returned stop is called (the server runs it for its lifetime). */
export function startLeaseRenewal(db: Queryable, onError: (err: unknown) => void): () => Promise<void> {
  const timer = setInterval(() => {
    db('package_upload_locks').where({ owner: OWNER }).update({ started_at: Date.now() }).catch(onError);
  }, LEASE_RENEW_MS);
  timer.unref();
  return async () => clearInterval(timer);
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
