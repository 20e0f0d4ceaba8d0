import type { Queryable } from '../db/knex';
import type { components } from '../generated/openapi';
import { inOrder } from '../db/in-order';

/**
 * MLflow `Run` messages built for many runs at once (get, search): one query per child table, never one
 * per run. Field rules from mlflow-compat.md §3.2 and §1.4 (always send status; omit unset fields).
 */
export interface RunRow {
  run_uuid: string;
  experiment_id: number | string;
  name: string;
  user_id: string | null;
  status: string;
  start_time: number;
  end_time: number | null;
  lifecycle_stage: 'active' | 'deleted';
  artifact_uri: string;
}

// The wire shapes come from the OpenAPI document (schemas/src/20-tracking.yaml), not a second copy here.
export type RunInfoJson = components['schemas']['RunInfo'];
export type MetricJson = components['schemas']['Metric'];
export type DatasetInputJson = components['schemas']['DatasetInput'];
export type RunJson = components['schemas']['Run'];

export const RUN_COLUMNS = [
  'run_uuid',
  'experiment_id',
  'name',
  'user_id',
  'status',
  'start_time',
  'end_time',
  'lifecycle_stage',
  'artifact_uri',
];

export function runInfoToJson(row: RunRow): RunInfoJson {
  return {
    run_id: row.run_uuid,
    run_uuid: row.run_uuid,
    run_name: row.name,
    experiment_id: String(row.experiment_id),
    ...(row.user_id !== null ? { user_id: row.user_id } : {}),
    status: row.status as RunInfoJson['status'],
    start_time: row.start_time,
    ...(row.end_time !== null ? { end_time: row.end_time } : {}),
    artifact_uri: row.artifact_uri,
    lifecycle_stage: row.lifecycle_stage,
  };
}

function groupBy<T extends { run_uuid: string }>(rows: T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const list = groups.get(row.run_uuid) ?? [];
    list.push(row);
    groups.set(row.run_uuid, list);
  }
  return groups;
}

/** Full `Run` messages for `rows`, in the same order. */
export async function runsToJson(db: Queryable, rows: RunRow[]): Promise<RunJson[]> {
  if (!rows.length) return [];
  const ids = rows.map((row) => row.run_uuid);
  const [metrics, params, tags, datasetInputs, inputTags, modelInputs, modelOutputs] = await inOrder([
    db('latest_metrics')
      .select('run_uuid', 'key', 'value', 'timestamp', 'step')
      .whereIn('run_uuid', ids)
      .orderBy('key'),
    db('params').select('run_uuid', 'key', 'value').whereIn('run_uuid', ids).orderBy('key'),
    db('run_tags').select('run_uuid', 'key', 'value').whereIn('run_uuid', ids).orderBy('key'),
    db('run_dataset_inputs as i')
      .join('datasets as d', 'd.id', 'i.dataset_id')
      .select(
        'i.run_uuid',
        'i.dataset_id',
        'd.name',
        'd.digest',
        'd.source_type',
        'd.source',
        'd.schema',
        'd.profile',
      )
      .whereIn('i.run_uuid', ids)
      .orderBy(['d.name', 'd.digest']),
    db('run_dataset_input_tags')
      .select('run_uuid', 'dataset_id', 'key', 'value')
      .whereIn('run_uuid', ids)
      .orderBy('key'),
    db('run_model_inputs').select('run_uuid', 'model_id').whereIn('run_uuid', ids).orderBy('model_id'),
    db('run_model_outputs')
      .select('run_uuid', 'model_id', 'step')
      .whereIn('run_uuid', ids)
      .orderBy('model_id'),
  ]);
  const metricsByRun = groupBy(metrics);
  const paramsByRun = groupBy(params);
  const tagsByRun = groupBy(tags);
  const datasetsByRun = groupBy(datasetInputs);
  const inputTagsByRun = groupBy(inputTags);
  const modelInputsByRun = groupBy(modelInputs);
  const modelOutputsByRun = groupBy(modelOutputs);

  return rows.map((row) => {
    const id = row.run_uuid;
    const runMetrics = (metricsByRun.get(id) ?? []).map((m) => ({
      key: m.key,
      value: m.value,
      timestamp: m.timestamp,
      step: m.step,
    }));
    const runParams = (paramsByRun.get(id) ?? []).map((p) => ({ key: p.key, value: p.value }));
    const runTags = (tagsByRun.get(id) ?? []).map((t) => ({ key: t.key, value: t.value ?? '' }));
    const runInputTags = inputTagsByRun.get(id) ?? [];
    const datasets: DatasetInputJson[] = (datasetsByRun.get(id) ?? []).map((d) => {
      const dTags = runInputTags
        .filter((t) => String(t.dataset_id) === String(d.dataset_id))
        .map((t) => ({ key: t.key, value: t.value }));
      return {
        ...(dTags.length ? { tags: dTags } : {}),
        dataset: {
          name: d.name,
          digest: d.digest,
          source_type: d.source_type,
          source: d.source,
          ...(d.schema !== null ? { schema: d.schema } : {}),
          ...(d.profile !== null ? { profile: d.profile } : {}),
        },
      };
    });
    const models = (modelInputsByRun.get(id) ?? []).map((m) => ({ model_id: m.model_id }));
    const outputs = (modelOutputsByRun.get(id) ?? []).map((m) => ({ model_id: m.model_id, step: m.step }));
    return {
      info: runInfoToJson(row),
      data: {
        ...(runMetrics.length ? { metrics: runMetrics } : {}),
        ...(runParams.length ? { params: runParams } : {}),
        ...(runTags.length ? { tags: runTags } : {}),
      },
      inputs: {
        ...(datasets.length ? { dataset_inputs: datasets } : {}),
        ...(models.length ? { model_inputs: models } : {}),
      },
      outputs: outputs.length ? { model_outputs: outputs } : {},
    };
  });
}
