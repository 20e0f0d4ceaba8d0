/**
 * What an import did, for the final summary: per object kind how many were imported now, found already
 * imported (earlier run) or failed, plus every semver conflict and failure by name. A conflict is an object
 * imported with a difference the caller must know about (a semver the target could not keep); a failure is
 * one that was not imported and is tried again by the next run.
 */
export interface KindCounts {
  imported: number;
  alreadyImported: number;
  failed: number;
}

export class ImportReport {
  readonly counts = new Map<string, KindCounts>();
  readonly conflicts: string[] = [];
  readonly failures: string[] = [];
  readonly notes: string[] = [];
  bytes = 0;
  metricPoints = 0;

  private of(kind: string): KindCounts {
    let counts = this.counts.get(kind);
    if (!counts) {
      counts = { imported: 0, alreadyImported: 0, failed: 0 };
      this.counts.set(kind, counts);
    }
    return counts;
  }

  imported(kind: string): void {
    this.of(kind).imported += 1;
  }

  alreadyImported(kind: string): void {
    this.of(kind).alreadyImported += 1;
  }

  failed(kind: string, what: string, reason: string): void {
    this.of(kind).failed += 1;
    this.failures.push(`${kind} ${what}: ${reason}`);
  }

  /** Conflicts are kept in the ledger, so every run's summary lists them, not only the run that met them. */
  conflict(what: string): void {
    if (!this.conflicts.includes(what)) this.conflicts.push(what);
  }

  note(what: string): void {
    this.notes.push(what);
  }

  lines(): string[] {
    const lines = [...this.counts.entries()].map(
      ([kind, c]) =>
        `${kind}: ${c.imported} imported, ${c.alreadyImported} already imported, ${c.failed} failed`,
    );
    lines.push(`metric points: ${this.metricPoints} imported`, `artifact bytes: ${this.bytes} imported`);
    for (const conflict of this.conflicts) lines.push(`conflict: ${conflict}`);
    for (const failure of this.failures) lines.push(`failed: ${failure}`);
    for (const note of this.notes) lines.push(`note: ${note}`);
    return lines;
  }
}
