import os from 'node:os';
import {
  acquireUploadLock,
  releaseAbandonedUploadLocks,
  releaseUploadLock,
  startLeaseRenewal,
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

  it('takes over another host’s lock only once its lease ran out (2 minutes without renewal)', async () => {
    await plant('foreign-new', 'other-host/5/x', Date.now() - 60_000);
    await expect(acquireUploadLock(t.db, key('foreign-new'))).rejects.toMatchObject({
      errorCode: 'RESOURCE_CONFLICT',
    });
    await plant('foreign-old', 'other-host/5/x', Date.now() - 3 * 60_000);
    await acquireUploadLock(t.db, key('foreign-old'));
  });

  it('renews the leases this process holds, so other replicas keep off a long upload', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      await acquireUploadLock(t.db, key('long'), Date.now() - 10 * 60_000);
      const stop = startLeaseRenewal(t.db, (err) => {
        throw err;
      });
      jest.advanceTimersByTime(30_000);
      jest.useRealTimers();
      let renewed = 0;
      for (let i = 0; i < 50 && renewed < Date.now() - 5000; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        renewed = Number((await t.db('package_upload_locks').where(key('long')).first()).started_at);
      }
      await stop();
      expect(renewed).toBeGreaterThan(Date.now() - 5000);
    } finally {
      jest.useRealTimers();
    }
  });

  it('takes over a lock of an earlier incarnation with our pid and host (a restarted container is pid 1 again)', async () => {
    await plant('earlier', `${os.hostname()}/${process.pid}/0ld0ld00`);
    await acquireUploadLock(t.db, key('earlier'));
    await releaseUploadLock(t.db, key('earlier'));
  });

  it('forgets abandoned locks at start-up', async () => {
    await plant('startup', `${os.hostname()}/${DEAD_PID}/y`);
    await releaseAbandonedUploadLocks(t.db);
    expect(await t.db('package_upload_locks').where(key('startup'))).toHaveLength(0);
    expect(await t.db('package_upload_locks').where(key('alive'))).toHaveLength(1);
  });
});
