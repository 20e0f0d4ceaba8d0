import type { Knex } from 'knex';
import { invalidParameter } from '../errors';
import { Clause, parseFilter } from './filter';
import { numericOperator, stringOperator, unsupported, whereInList } from './sql';

/**
 * logged-models/search → SQL (mlflow-compat.md §3.5, §6.3). The outer query must alias logged_models as
 * `lm`. `datasets` (from the request) restricts which metric values count for metric filters.
 */
export interface DatasetRef {
  dataset_name?: string;
  dataset_digest?: string;
}

export interface LoggedModelOrder {
  field_name?: string;
  ascending?: boolean;
  dataset_name?: string;
  dataset_digest?: string;
}

const ATTRIBUTE_ENTITIES = new Set([undefined, 'attribute', 'attributes', 'attr']);
const STRING_ATTRIBUTES: Record<string, string> = {
  name: 'lm.name',
  model_id: 'lm.model_id',
  model_type: 'lm.model_type',
  status: 'lm.status',
  source_run_id: 'lm.source_run_id',
};
const NUMERIC_ATTRIBUTES: Record<string, string> = {
  creation_timestamp: 'lm.creation_timestamp_ms',
  creation_time: 'lm.creation_timestamp_ms',
  last_updated_timestamp: 'lm.last_updated_timestamp_ms',
  last_updated_time: 'lm.last_updated_timestamp_ms',
};

/** `status = 'READY'` and `status = 'LOGGED_MODEL_READY'` mean the same thing. */
function statusValue(value: string): string {
  return /^(PENDING|READY|UPLOAD_FAILED)$/i.test(value) ? `LOGGED_MODEL_${value.toUpperCase()}` : value;
}

function restrictToDatasets(sub: Knex.QueryBuilder, datasets: DatasetRef[]): void {
  if (!datasets.length) return;
  sub.where((any) => {
    for (const d of datasets) {
      any.orWhere((one) => {
        one.where('m.dataset_name', d.dataset_name ?? '');
        if (d.dataset_digest) one.where('m.dataset_digest', d.dataset_digest);
      });
    }
  });
}

function attributeCondition(qb: Knex.QueryBuilder, clause: Clause): void {
  const column = STRING_ATTRIBUTES[clause.key];
  if (column) {
    const convert = clause.key === 'status' ? statusValue : (v: string) => v;
    if (clause.comparator === 'IN') return void qb.whereIn(column, (clause.value as string[]).map(convert));
    if (clause.comparator === 'NOT IN')
      return void qb.whereNotIn(column, (clause.value as string[]).map(convert));
    return void qb.where(column, stringOperator(clause), convert(clause.value as string));
  }
  const numeric = NUMERIC_ATTRIBUTES[clause.key];
  if (numeric) {
    return void qb.where(numeric, numericOperator(clause), clause.value as number);
  }
  unsupported(clause, `unknown attribute '${clause.key}'`);
}

export function applyLoggedModelFilter(
  qb: Knex.QueryBuilder,
  filter: string | undefined,
  datasets: DatasetRef[],
): void {
  const clauses = parseFilter(filter);
  // Datasets without a metric clause still narrow the result to models with metrics on those datasets (MLflow).
  if (
    datasets.length &&
    !clauses.some((clause) => clause.entity === 'metrics' || clause.entity === 'metric')
  ) {
    qb.whereExists((sub) => {
      sub.select(sub.client.raw('1')).from('logged_model_metrics as m').whereRaw('m.model_id = lm.model_id');
      restrictToDatasets(sub, datasets);
    });
  }
  for (const clause of clauses) {
    if (ATTRIBUTE_ENTITIES.has(clause.entity)) {
      attributeCondition(qb, clause);
    } else if (clause.entity === 'metrics' || clause.entity === 'metric') {
      const op = numericOperator(clause);
      qb.whereExists((sub) => {
        sub
          .select(sub.client.raw('1'))
          .from('logged_model_metrics as m')
          .whereRaw('m.model_id = lm.model_id')
          .where('m.key', clause.key)
          .where('m.value', op, clause.value as number);
        if (op !== '<>') sub.whereRaw(`m.value <> 'NaN'::float8`);
        restrictToDatasets(sub, datasets);
      });
    } else if (['params', 'param', 'tags', 'tag'].includes(clause.entity as string)) {
      const table = clause.entity!.startsWith('param') ? 'logged_model_params' : 'logged_model_tags';
      qb.whereExists((sub) => {
        sub
          .select(sub.client.raw('1'))
          .from(`${table} as kv`)
          .whereRaw('kv.model_id = lm.model_id')
          .where('kv.key', clause.key);
        if (clause.comparator === 'IN' || clause.comparator === 'NOT IN')
          whereInList(sub, 'kv.value', clause);
        else sub.where('kv.value', stringOperator(clause), clause.value as string);
      });
    } else {
      unsupported(clause, `unknown entity '${clause.entity}'; use attributes, metrics, params or tags`);
    }
  }
}

/** Order entries are objects (not strings) for logged models; ties fall back to creation time, then id. */
export function applyLoggedModelOrder(qb: Knex.QueryBuilder, orderBy: LoggedModelOrder[]): void {
  let orderedByCreation = false;
  for (const entry of orderBy) {
    const field = entry.field_name ?? '';
    const direction = entry.ascending === false ? 'DESC' : 'ASC';
    if (field.startsWith('metrics.')) {
      const key = field.slice('metrics.'.length);
      const dataset: DatasetRef[] = entry.dataset_name
        ? [{ dataset_name: entry.dataset_name, dataset_digest: entry.dataset_digest }]
        : [];
      const latest = qb.client
        .queryBuilder()
        .select('m.value')
        .from('logged_model_metrics as m')
        .whereRaw('m.model_id = lm.model_id')
        .where('m.key', key)
        .orderBy([
          { column: 'm.step', order: 'desc' },
          { column: 'm.timestamp', order: 'desc' },
        ])
        .limit(1);
      restrictToDatasets(latest, dataset);
      const { sql, bindings } = latest.toSQL();
      qb.orderByRaw(`(${sql}) ${direction} NULLS LAST`, bindings as readonly Knex.Value[]);
      continue;
    }
    const column = STRING_ATTRIBUTES[field] ?? NUMERIC_ATTRIBUTES[field];
    if (!column) throw invalidParameter(`Invalid order_by field_name '${field}' for logged models.`);
    if (column === 'lm.creation_timestamp_ms') orderedByCreation = true;
    qb.orderByRaw(`${column} ${direction} NULLS LAST`);
  }
  if (!orderedByCreation) qb.orderBy('lm.creation_timestamp_ms', 'desc');
  qb.orderBy('lm.model_id', 'asc');
}
