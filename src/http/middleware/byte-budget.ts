/**
 * A process-wide allowance of bytes held in memory at once, shared by every request that takes from it.
 * Requests take bytes as they receive them (a silent or slow client holds only what it has sent), and each
 * holder — a token, or a client address when auth is off — may hold at most `perHolderLimit` of it, so no
 * single client can starve the others. A take that does not fit is refused instead of queued: the caller
 * answers 503 and the client retries later (MLflow's client retries 503 with backoff). A request that holds
 * every reserved byte (it is alone) may go past the limits, so a single body larger than the allowance (but
 * within its own limit) still succeeds.
 */
export class ByteBudget {
  private inUse = 0;
  private readonly byHolder = new Map<string, number>();

  constructor(
    private readonly limit: number,
    private readonly perHolderLimit: number = limit,
  ) {}

  get reserved(): number {
    return this.inUse;
  }

  heldBy(holder: string): number {
    return this.byHolder.get(holder) ?? 0;
  }

  /** An account for one request of `holder`; give it back with `release` when the response is done. */
  open(holder: string): Reservation {
    return new Reservation(this, holder);
  }

  /** @internal Reservation's side of the bookkeeping. */
  adjust(holder: string, bytes: number): void {
    this.inUse += bytes;
    const held = this.heldBy(holder) + bytes;
    if (held === 0) this.byHolder.delete(holder);
    else this.byHolder.set(holder, held);
  }

  /** @internal Whether `bytes` more fit for a reservation that already holds `own` of `holder`'s bytes. */
  fits(holder: string, own: number, bytes: number): boolean {
    const others = this.inUse - own;
    if (others > 0 && this.inUse + bytes > this.limit) return false;
    const holderOthers = this.heldBy(holder) - own;
    return !(holderOthers > 0 && this.heldBy(holder) + bytes > this.perHolderLimit);
  }
}

export class Reservation {
  private held = 0;
  private released = false;

  constructor(
    private readonly budget: ByteBudget,
    private readonly holder: string,
  ) {}

  get bytes(): number {
    return this.held;
  }

  /** Takes `bytes` more; false (and nothing taken) when they do not fit. */
  take(bytes: number): boolean {
    if (this.released || !this.budget.fits(this.holder, this.held, bytes)) return false;
    this.held += bytes;
    this.budget.adjust(this.holder, bytes);
    return true;
  }

  /** Gives everything back; idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.budget.adjust(this.holder, -this.held);
    this.held = 0;
  }
}
