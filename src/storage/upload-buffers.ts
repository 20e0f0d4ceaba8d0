import { Semaphore } from 'async-mutex';
import { MlflowError, uploadInterrupted } from '../errors';

const UNIT = 1024 * 1024;

/**
 * The memory every multipart upload of one S3 store may hold in part buffers, together. Each upload holds up
 * to its queue of parts plus the one being filled, whatever the file's size, so without a cap the server's
 * memory grows with the number of uploads at once: 32 parallel uploads took it past 950 MiB. An upload
 * reserves its share before it reads a byte of its body and waits in line (first come, first served) while
 * the others' shares leave too little; a client that is not read from is held back by TCP, at no cost here.
 * An upload still waiting after `waitMs` is refused with 503 and `Retry-After` (MLflow's client retries it;
 * so does `curl --retry`), so a store busy with long uploads does not hold every other client forever.
 */
export class UploadBuffers {
  private readonly semaphore: Semaphore;
  private readonly units: number;

  constructor(
    private readonly bytes: number,
    private readonly waitMs: number,
  ) {
    // Counted in whole MiB: async-mutex walks its count on every release, which in bytes took seconds.
    this.units = Math.max(1, Math.floor(bytes / UNIT));
    this.semaphore = new Semaphore(this.units);
  }

  /**
   * Waits for `bytes`, rounded up to whole MiB (and at most the whole allowance, so one upload always fits
   * alone), and resolves with the function that gives them back. Rejects with 503 after `waitMs`, or as
   * interrupted once `signal` aborts.
   */
  async reserve(bytes: number, signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) throw uploadInterrupted();
    const acquired = this.semaphore.acquire(Math.min(Math.max(1, Math.ceil(bytes / UNIT)), this.units));
    let giveUp: (err: MlflowError) => void = () => undefined;
    const givenUp = new Promise<never>((_, reject) => (giveUp = reject));
    const timer = setTimeout(() => giveUp(this.busy()), this.waitMs);
    const onAbort = () => giveUp(uploadInterrupted());
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const [, release] = await Promise.race([acquired, givenUp]);
      return release;
    } catch (err) {
      // The place in line cannot be left: it is given straight back when it comes up.
      void acquired.then(([, release]) => release());
      throw err;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private busy(): MlflowError {
    return new MlflowError(
      'TEMPORARILY_UNAVAILABLE',
      `Every upload buffer of the artifact store is in use (S3_UPLOAD_BUFFER_BYTES=${this.bytes}) and ` +
        `none came free in ${Math.round(this.waitMs / 1000)} s; retry the upload later.`,
    );
  }
}
