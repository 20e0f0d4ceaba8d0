import type { Queryable } from '../db/knex';
import { invalidParameter, missingParameter, notFound } from '../errors';
import { requireActiveRun, upsertRunTags } from './runs';
import { MAX_RUN_TAG_VALUE_LENGTH, validateLength } from './validation';
import { optionalInt64 } from './values';

/**
 * runs/log-inputs (datasets, model inputs), runs/outputs (MLflow 3 links a logged model to its run) and the
 * 2.x runs/log-model (mlflow-compat.md §3.2). Dataset limits are MLflow's (§6.1).
 */
const DATASET_LIMITS = {
  name: 500,
  digest: 36,
  source_type: 36,
  source: 65535,
  schema: 1_048_575,
  profile: 16_777_215,
};
const MAX_INPUT_TAG_KEY = 255;
const MAX_INPUT_TAG_VALUE = 500;
const MODEL_HISTORY_TAG = 'mlflow.log-model.history';

interface DatasetInput {
  tags?: Array<{ key?: string; value?: string }>;
  dataset?: {
    name?: string;
    digest?: string;
    source_type?: string;
    source?: string;
    schema?: string;
    profile?: string;
  };
}

function validateDatasetInput(input: DatasetInput) {
  const d = input.dataset ?? {};
  const required = (field: 'name' | 'digest' | 'source_type' | 'source') => {
    const value = d[field];
    if (value === undefined || value === '') throw missingParameter(`dataset.${field}`);
    return validateLength(value, `dataset.${field}`, DATASET_LIMITS[field]);
  };
  const optional = (field: 'schema' | 'profile') =>
    d[field] === undefined
      ? null
      : validateLength(d[field] as string, `dataset.${field}`, DATASET_LIMITS[field]);
  const tags = (input.tags ?? []).map((tag) => {
    if (!tag.key) throw missingParameter('input tag key');
    if (tag.value === undefined) throw missingParameter('input tag value');
    return {
      key: validateLength(tag.key, 'input tag key', MAX_INPUT_TAG_KEY),
      value: validateLength(tag.value, 'input tag value', MAX_INPUT_TAG_VALUE),
    };
  });
  return {
    dataset: {
      name: required('name'),
      digest: required('digest'),
      source_type: required('source_type'),
      source: required('source'),
      schema: optional('schema'),
      profile: optional('profile'),
    },
    tags: [...new Map(tags.map((tag) => [tag.key, tag])).values()],
  };
}

async function requireLoggedModels(db: Queryable, modelIds: string[]): Promise<void> {
  if (!modelIds.length) return;
  const found = await db('logged_models').select('model_id').whereIn('model_id', modelIds);
  const known = new Set(found.map((row) => row.model_id as string));
  const missing = modelIds.find((id) => !known.has(id));
  if (missing) throw notFound(`Logged model with ID '${missing}' not found.`);
}

export async function logInputs(
  db: Queryable,
  runId: string,
  input: { datasets?: DatasetInput[]; models?: Array<{ model_id?: string }> },
): Promise<void> {
  const datasets = (input.datasets ?? []).map(validateDatasetInput);
  const modelIds = (input.models ?? []).map((m) => {
    if (!m.model_id) throw missingParameter('models.model_id');
    return m.model_id;
  });
  await db.transaction(async (tx) => {
    const run = await requireActiveRun(tx, runId);
    await requireLoggedModels(tx, modelIds);
    for (const { dataset, tags } of datasets) {
      // Datasets are shared by the runs of an experiment, identified by (name, digest) as in MLflow.
      await tx('datasets')
        .insert({ experiment_id: run.experiment_id, ...dataset })
        .onConflict(['experiment_id', 'name', 'digest'])
        .ignore();
      const { id } = await tx('datasets')
        .select('id')
        .where({ experiment_id: run.experiment_id, name: dataset.name, digest: dataset.digest })
        .first();
      const linked = await tx('run_dataset_inputs')
        .insert({ run_uuid: runId, dataset_id: id })
        .onConflict(['run_uuid', 'dataset_id'])
        .ignore()
        .returning('dataset_id');
      // MLflow keeps the first link's tags when a dataset is logged to the same run again.
      if (linked.length && tags.length)
        await tx('run_dataset_input_tags').insert(
          tags.map((tag) => ({ run_uuid: runId, dataset_id: id, ...tag })),
        );
    }
    if (modelIds.length) {
      await tx('run_model_inputs')
        .insert([...new Set(modelIds)].map((model_id) => ({ run_uuid: runId, model_id })))
        .onConflict(['run_uuid', 'model_id'])
        .ignore();
    }
  });
}

/** runs/outputs: MLflow 3's log_model fails when this fails, so only real problems are refused. */
export async function logOutputs(
  db: Queryable,
  runId: string,
  models: Array<{ model_id?: string; step?: unknown }> | undefined,
): Promise<void> {
  const outputs = (models ?? []).map((m) => {
    if (!m.model_id) throw missingParameter('models.model_id');
    return { run_uuid: runId, model_id: m.model_id, step: optionalInt64(m.step, 'step', 0) };
  });
  await db.transaction(async (tx) => {
    await requireActiveRun(tx, runId);
    await requireLoggedModels(
      tx,
      outputs.map((o) => o.model_id),
    );
    if (outputs.length) {
      const unique = [...new Map(outputs.map((o) => [o.model_id, o])).values()];
      await tx('run_model_outputs').insert(unique).onConflict(['run_uuid', 'model_id']).merge(['step']);
    }
  });
}

const MODEL_JSON_FIELDS = ['artifact_path', 'flavors', 'utc_time_created', 'run_id'];

/** runs/log-model (2.x clients): appends the model dict to the JSON list in `mlflow.log-model.history`. */
export async function logModel(db: Queryable, runId: string, modelJson: string | undefined): Promise<void> {
  if (!modelJson) throw missingParameter('model_json');
  let model: unknown;
  try {
    model = JSON.parse(modelJson);
  } catch {
    throw invalidParameter('Malformed model info. model_json must be a valid JSON object.');
  }
  if (!model || typeof model !== 'object' || Array.isArray(model))
    throw invalidParameter('Malformed model info. model_json must be a JSON object.');
  const missing = MODEL_JSON_FIELDS.filter((field) => !(field in (model as object)));
  if (missing.length)
    throw invalidParameter(`Model json is missing mandatory fields: ${JSON.stringify(missing)}`);
  await db.transaction(async (tx) => {
    // The row lock serialises concurrent appends, so no model is lost between read and write.
    await requireActiveRun(tx, runId, { forUpdate: true });
    const row = await tx('run_tags')
      .select('value')
      .where({ run_uuid: runId, key: MODEL_HISTORY_TAG })
      .first();
    let history: unknown[] = [];
    try {
      const parsed = row?.value ? JSON.parse(row.value) : [];
      if (Array.isArray(parsed)) history = parsed;
    } catch {
      history = [];
    }
    history.push(model);
    const value = JSON.stringify(history);
    // Truncating would corrupt the JSON list, so an over-long history is refused instead.
    if (value.length > MAX_RUN_TAG_VALUE_LENGTH) {
      throw invalidParameter(
        `The tag '${MODEL_HISTORY_TAG}' would exceed ${MAX_RUN_TAG_VALUE_LENGTH} characters; log fewer models per run.`,
      );
    }
    await upsertRunTags(tx, runId, [{ key: MODEL_HISTORY_TAG, value }]);
  });
}
