import os from 'node:os';
import {
  acquireUploadLock,
  releaseAbandonedUploadLocks,
  releaseUploadLock,
} from '../../../src/packages/upload-lock';
import { createTestApp, TestApp } from '../../helpers/test-app';

describe('package upload locks', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const key = (path: string) => ({ model_name: 'm', semver: '1.0.0', path });
  const plant = (path: string, owner: string, startedAt = Date.now()) =>
    t.db('package_upload_locks').insert({ ...key(path), owner, started_at: startedAt });
  const DEAD_PID = 2 ** 22 + 12345; // above Linux's pid_max: no such process

  it('lets one upload hold a path; a second gets 409 RESOURCE_CONFLICT until it is released', async () => {
    await acquireUploadLock(t.db, key('a'));
    await expect(acquireUploadLock(t.db, key('a'))).rejects.toMatchObject({
      errorCode: 'RESOURCE_CONFLICT',
      status: 409,
    });
    await releaseUploadLock(t.db, key('a'));
    await acquireUploadLock(t.db, key('a'));
    await releaseUploadLock(t.db, key('a'));
  });

  it('takes over a lock whose process on this host is gone (crash mid-upload), not one of a live process', async () => {
    await plant('dead', `${os.hostname()}/${DEAD_PID}/x`);
    await acquireUploadLock(t.db, key('dead'));
    await plant('alive', `${os.hostname()}/1/x`);
    await expect(acquireUploadLock(t.db, key('alive'))).rejects.toMatchObject({
      errorCode: 'RESOURCE_CONFLICT',
    });
  });

  it('takes over another host’s lock only once it is older than any request can last', async () => {
    await plant('foreign-new', 'other-host/5/x');
    await expect(acquireUploadLock(t.db, key('foreign-new'))).rejects.toMatchObject({
      errorCode: 'RESOURCE_CONFLICT',
    });
    await plant('foreign-old', 'other-host/5/x', Date.now() - 3 * 3_600_000);
    await acquireUploadLock(t.db, key('foreign-old'));
  });

  it('forgets abandoned locks at start-up', async () => {
    await plant('startup', `${os.hostname()}/${DEAD_PID}/y`);
    await releaseAbandonedUploadLocks(t.db);
    expect(await t.db('package_upload_locks').where(key('startup'))).toHaveLength(0);
    expect(await t.db('package_upload_locks').where(key('alive'))).toHaveLength(1);
  });
});
