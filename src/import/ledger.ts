import type { Queryable } from '../db/knex';

/**
 * The import ledger (migration 010): which source object became which semreg object. A row is written with
 * `completed = true` in the transaction that writes its object, so after any interruption the ledger and the
 * data agree; `completed = false` rows remember a failure (detail.error) for the summary and the next run.
 */
export type LedgerKind =
  | 'experiment'
  | 'run'
  | 'logged-model'
  | 'artifact'
  | 'artifacts-done'
  | 'registered-model'
  | 'model-version'
  | 'registered-model-final'
  | 'experiment-lifecycle';

export interface LedgerEntry {
  kind: LedgerKind;
  sourceId: string;
  targetId: string | null;
  completed: boolean;
  detail: Record<string, unknown> | null;
}

interface LedgerRow {
  kind: LedgerKind;
  source_id: string;
  target_id: string | null;
  completed: boolean;
  detail: Record<string, unknown> | null;
}

const fromRow = (row: LedgerRow): LedgerEntry => ({
  kind: row.kind,
  sourceId: row.source_id,
  targetId: row.target_id,
  completed: row.completed,
  detail: row.detail,
});

export class Ledger {
  constructor(readonly source: string) {}

  async find(db: Queryable, kind: LedgerKind, sourceId: string): Promise<LedgerEntry | undefined> {
    const row = (await db('import_ledger')
      .where({ source: this.source, kind, source_id: sourceId })
      .first()) as LedgerRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** Every completed entry of a kind, by source id: one query instead of one per object when resuming. */
  async completed(db: Queryable, kind: LedgerKind): Promise<Map<string, LedgerEntry>> {
    const rows = (await db('import_ledger').where({
      source: this.source,
      kind,
      completed: true,
    })) as LedgerRow[];
    return new Map(rows.map((row) => [row.source_id, fromRow(row)]));
  }

  async all(db: Queryable): Promise<LedgerEntry[]> {
    const rows = (await db('import_ledger')
      .where({ source: this.source })
      .orderBy(['kind', 'source_id'])) as LedgerRow[];
    return rows.map(fromRow);
  }

  /** Call inside the transaction that wrote the object. */
  async complete(
    db: Queryable,
    kind: LedgerKind,
    sourceId: string,
    targetId: string | null,
    detail?: Record<string, unknown>,
  ): Promise<void> {
    await this.write(db, kind, sourceId, targetId, true, detail ?? null);
  }

  /** Outside the failed object's (rolled back) transaction. */
  async fail(db: Queryable, kind: LedgerKind, sourceId: string, error: string): Promise<void> {
    await this.write(db, kind, sourceId, null, false, { error });
  }

  private async write(
    db: Queryable,
    kind: LedgerKind,
    sourceId: string,
    targetId: string | null,
    completed: boolean,
    detail: Record<string, unknown> | null,
  ): Promise<void> {
    await db('import_ledger')
      .insert({
        source: this.source,
        kind,
        source_id: sourceId,
        target_id: targetId,
        completed,
        detail: detail === null ? null : JSON.stringify(detail),
        updated_at: Date.now(),
      })
      .onConflict(['source', 'kind', 'source_id'])
      .merge();
  }
}
