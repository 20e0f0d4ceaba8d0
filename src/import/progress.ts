import cliProgress from 'cli-progress';

/**
 * One progress display per import phase on stderr: a bar on a terminal (items, and bytes where the phase
 * moves files), else a line every PROGRESS_EVERY items, so logs of a long import still show it moving.
 */
const PROGRESS_EVERY = 500;

export class PhaseProgress {
  private bar?: cliProgress.SingleBar;
  private phase = '';
  private done = 0;
  private total = 0;
  private bytes = 0;

  constructor(
    private readonly useBar: boolean,
    private readonly err: (line: string) => void,
  ) {}

  start(phase: string, total: number): void {
    this.stop();
    this.phase = phase;
    this.done = 0;
    this.bytes = 0;
    this.total = total;
    if (this.useBar) {
      this.bar = new cliProgress.SingleBar(
        { format: `${phase.padEnd(18)} {bar} {value}/{total} {mib}`, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, 0, { mib: '' });
    } else {
      this.err(`import-mlflow: ${phase}: ${total} to look at`);
    }
  }

  /** More items found while the phase runs (pages of a search, files of a listing). */
  grow(by: number): void {
    this.total += by;
    this.bar?.setTotal(this.total);
  }

  tick(bytes = 0): void {
    this.done += 1;
    this.bytes += bytes;
    const mib = this.bytes ? `${(this.bytes / 2 ** 20).toFixed(1)} MiB` : '';
    if (this.bar) this.bar.update(this.done, { mib });
    else if (this.done % PROGRESS_EVERY === 0)
      this.err(`import-mlflow: ${this.phase}: ${this.done}/${this.total}${mib ? ` (${mib})` : ''}`);
  }

  stop(): void {
    if (this.bar) {
      this.bar.stop();
      this.bar = undefined;
    } else if (this.phase) {
      this.err(`import-mlflow: ${this.phase}: ${this.done}/${this.total} done`);
    }
    this.phase = '';
  }
}
