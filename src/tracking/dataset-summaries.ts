import type { Queryable } from '../db/knex';
import { invalidParameter } from '../errors';
import { parseExperimentId } from './validation';

/**
 * `experiments/search-datasets` (MLflow's `_search_datasets`): the distinct (experiment, dataset name,
 * digest, `mlflow.data.context` input tag) tuples the runs of up to 20 experiments logged, at most 1,000 —
 * what MLflow's UI lists in its dataset filter. An input without a context tag still counts, without one.
 */
const MAX_EXPERIMENT_IDS = 20;
const MAX_SUMMARIES = 1000;
const DATASET_CONTEXT_TAG = 'mlflow.data.context';

export interface DatasetSummary {
  experiment_id: string;
  name: string;
  digest: string;
  context?: string;
}

export async function searchDatasets(
  db: Queryable,
  input: { experiment_ids?: string[] },
): Promise<{ dataset_summaries?: DatasetSummary[] }> {
  const raw = input.experiment_ids ?? [];
  // The reference's words for both limits.
  if (raw.length === 0)
    throw invalidParameter('SearchDatasets request must specify at least one experiment_id.');
  if (raw.length > MAX_EXPERIMENT_IDS)
    throw invalidParameter(
      `SearchDatasets request cannot specify more than ${MAX_EXPERIMENT_IDS} experiment_ids. Received ${raw.length} experiment_ids.`,
    );
  const experimentIds = raw.map((id) => parseExperimentId(id, 'experiment_ids'));
  const rows: Array<{ experiment_id: string; name: string; digest: string; context: string | null }> =
    await db
      .from('datasets as d')
      .join('run_dataset_inputs as i', 'i.dataset_id', 'd.id')
      .leftJoin('run_dataset_input_tags as t', (on) =>
        on
          .on('t.run_uuid', 'i.run_uuid')
          .andOn('t.dataset_id', 'i.dataset_id')
          .andOnVal('t.key', DATASET_CONTEXT_TAG),
      )
      .whereIn('d.experiment_id', experimentIds)
      .distinct(db.raw('d.experiment_id::text AS experiment_id'), 'd.name', 'd.digest', 't.value as context')
      .orderBy([
        { column: 'experiment_id' },
        { column: 'd.name' },
        { column: 'd.digest' },
        { column: 'context' },
      ])
      .limit(MAX_SUMMARIES);
  if (rows.length === 0) return {};
  return {
    dataset_summaries: rows.map((row) => ({
      experiment_id: row.experiment_id,
      name: row.name,
      digest: row.digest,
      ...(row.context === null ? {} : { context: row.context }),
    })),
  };
}
