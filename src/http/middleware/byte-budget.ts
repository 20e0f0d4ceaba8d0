/**
 * A process-wide allowance of bytes held in memory at once, shared by every request that reserves from it.
 * A reservation that does not fit is refused instead of queued: the caller answers 503 and the client
 * retries later (MLflow's client retries 503 with backoff). One request is always let through when nothing
 * else holds bytes, so a single body larger than the allowance (but within its own limit) still succeeds.
 */
export class ByteBudget {
  private inUse = 0;

  constructor(private readonly limit: number) {}

  get reserved(): number {
    return this.inUse;
  }

  /** Reserves `bytes`; returns the function that gives them back (idempotent), or undefined when full. */
  tryReserve(bytes: number): (() => void) | undefined {
    if (this.inUse > 0 && this.inUse + bytes > this.limit) return undefined;
    this.inUse += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inUse -= bytes;
    };
  }
}
