import type { Db } from '../db/knex';
import type { ArtifactStore } from '../storage/artifact-store';
import type { Ledger } from './ledger';
import type { MlflowSource } from './mlflow-source';
import type { PhaseProgress } from './progress';
import type { ImportReport } from './report';
import type { SourceModelMetric } from './source-types';

/** What every import phase reads and writes. */
export interface ImportOptions {
  /** Name patterns (`*`, `?`); empty = every experiment. */
  readonly experiments: readonly string[];
  /** Name patterns; empty = every registered model. */
  readonly models: readonly string[];
  /** Largest single artifact file accepted (the server's MAX_ARTIFACT_BYTES). */
  readonly maxArtifactBytes: number;
  /** Files downloaded and runs written at once. */
  readonly concurrency: number;
}

export interface ImportContext {
  readonly db: Db;
  readonly storage: ArtifactStore;
  readonly source: MlflowSource;
  readonly ledger: Ledger;
  readonly options: ImportOptions;
  readonly report: ImportReport;
  readonly progress: PhaseProgress;
  readonly signal: AbortSignal;
  /** Source experiment id → semreg experiment id, for the experiments taken. */
  readonly experimentIds: Map<string, string>;
  /** Source run id → semreg run id, for the runs imported (this run or an earlier one). */
  readonly runIds: Map<string, string>;
  /** Source logged model id → semreg logged model id. */
  readonly loggedModelIds: Map<string, string>;
  /**
   * Source run id → the metrics the source's logged models hold from that run: written with the run, as a run's
   * own history does not say which logged model a point was for.
   */
  readonly loggedModelMetrics: Map<string, SourceModelMetric[]>;
}

/** Runs `work` over `items`, at most `limit` at once; stops taking items once `signal` aborts. */
export async function forEachConcurrently<T>(
  items: readonly T[],
  limit: number,
  signal: AbortSignal,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !signal.aborted) {
      const item = items[next++];
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));
