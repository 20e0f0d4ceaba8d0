import type { Knex } from 'knex';
import { invalidParameter } from '../errors';
import { Clause, parseFilter, parseOrderBy } from './filter';
import { numericOperator, stringOperator, unsupported, whereInList } from './sql';

/**
 * runs/search → SQL (mlflow-compat.md §6.3). Entities and their aliases follow MLflow's SearchUtils:
 * metrics (latest value per key), params, tags, attributes, datasets. The outer query must alias runs as `r`.
 */
type Entity = 'metric' | 'param' | 'tag' | 'attribute' | 'dataset';

const ENTITY_ALIASES: Record<string, Entity> = {
  metric: 'metric',
  metrics: 'metric',
  param: 'param',
  params: 'param',
  parameter: 'param',
  parameters: 'param',
  tag: 'tag',
  tags: 'tag',
  attribute: 'attribute',
  attributes: 'attribute',
  attr: 'attribute',
  run: 'attribute',
  dataset: 'dataset',
  datasets: 'dataset',
};

const STRING_ATTRIBUTES: Record<string, string> = {
  run_id: 'r.run_uuid',
  run_name: 'r.name',
  'run name': 'r.name',
  'Run name': 'r.name',
  'Run Name': 'r.name',
  user_id: 'r.user_id',
  status: 'r.status',
  artifact_uri: 'r.artifact_uri',
};
const NUMERIC_ATTRIBUTES: Record<string, string> = {
  start_time: 'r.start_time',
  end_time: 'r.end_time',
  created: 'r.start_time',
  Created: 'r.start_time',
};

const DATASET_CONTEXT_TAG = 'mlflow.data.context';

function entityOf(entity: string | undefined, text: string): Entity {
  if (entity === undefined) return 'attribute';
  const resolved = ENTITY_ALIASES[entity];
  if (!resolved) {
    throw invalidParameter(
      `Invalid entity type '${entity}' in '${text}'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset'].`,
    );
  }
  return resolved;
}

function whereStringOrList(qb: Knex.QueryBuilder, column: string, clause: Clause): void {
  if (clause.comparator === 'IN' || clause.comparator === 'NOT IN') return whereInList(qb, column, clause);
  qb.where(column, stringOperator(clause), clause.value as string);
}

function keyValueCondition(qb: Knex.QueryBuilder, table: 'params' | 'run_tags', clause: Clause): void {
  const exists = (sub: Knex.QueryBuilder) =>
    sub
      .select(sub.client.raw('1'))
      .from(`${table} as kv`)
      .whereRaw('kv.run_uuid = r.run_uuid')
      .where('kv.key', clause.key);
  if (clause.comparator === 'IS NULL') return void qb.whereNotExists(exists);
  if (clause.comparator === 'IS NOT NULL') return void qb.whereExists(exists);
  const op = stringOperator(clause);
  qb.whereExists((sub) => exists(sub).where('kv.value', op, clause.value as string));
}

function metricCondition(qb: Knex.QueryBuilder, clause: Clause): void {
  const op = numericOperator(clause);
  qb.whereExists((sub) => {
    sub
      .select(sub.client.raw('1'))
      .from('latest_metrics as lm')
      .whereRaw('lm.run_uuid = r.run_uuid')
      .where('lm.key', clause.key);
    sub.where('lm.value', op, clause.value as number);
    // PostgreSQL orders NaN above every number; in IEEE terms NaN compares false, which is what users expect.
    if (op !== '<>') sub.whereRaw(`lm.value <> 'NaN'::float8`);
  });
}

function datasetCondition(qb: Knex.QueryBuilder, clause: Clause): void {
  if (!['name', 'digest', 'context'].includes(clause.key)) {
    unsupported(clause, "datasets can be filtered by 'name', 'digest' and 'context'");
  }
  if (clause.value === null) unsupported(clause, 'expected =, !=, LIKE, ILIKE, IN or NOT IN');
  qb.whereExists((sub) => {
    sub
      .select(sub.client.raw('1'))
      .from('run_dataset_inputs as di')
      .join('datasets as d', 'd.id', 'di.dataset_id')
      .whereRaw('di.run_uuid = r.run_uuid');
    if (clause.key === 'context') {
      sub.join('run_dataset_input_tags as dt', (join) =>
        join.on('dt.run_uuid', 'di.run_uuid').andOn('dt.dataset_id', 'di.dataset_id'),
      );
      sub.where('dt.key', DATASET_CONTEXT_TAG);
      whereStringOrList(sub, 'dt.value', clause);
    } else {
      whereStringOrList(sub, `d.${clause.key}`, clause);
    }
  });
}

function attributeCondition(qb: Knex.QueryBuilder, clause: Clause): void {
  const stringColumn = STRING_ATTRIBUTES[clause.key];
  if (stringColumn) {
    if (clause.comparator === 'IS NULL' || clause.comparator === 'IS NOT NULL')
      unsupported(clause, 'IS NULL applies to tags and params only');
    return whereStringOrList(qb, stringColumn, clause);
  }
  const numericColumn = NUMERIC_ATTRIBUTES[clause.key];
  if (numericColumn) return void qb.where(numericColumn, numericOperator(clause), clause.value as number);
  unsupported(
    clause,
    `unknown attribute '${clause.key}'; valid attributes are ${[...Object.keys(STRING_ATTRIBUTES), ...Object.keys(NUMERIC_ATTRIBUTES)].join(', ')}`,
  );
}

export function applyRunFilter(qb: Knex.QueryBuilder, filter: string | undefined): void {
  for (const clause of parseFilter(filter)) {
    switch (entityOf(clause.entity, filter ?? '')) {
      case 'metric':
        metricCondition(qb, clause);
        break;
      case 'param':
        keyValueCondition(qb, 'params', clause);
        break;
      case 'tag':
        keyValueCondition(qb, 'run_tags', clause);
        break;
      case 'dataset':
        datasetCondition(qb, clause);
        break;
      case 'attribute':
        attributeCondition(qb, clause);
        break;
    }
  }
}

/**
 * order_by: metrics/params/tags are joined per entry; NULLs (and NaN for metrics) sort last in both
 * directions, as in MLflow. Ties fall back to start_time DESC, then run_id.
 */
export function applyRunOrder(qb: Knex.QueryBuilder, orderBy: string[]): void {
  let orderedByStartTime = false;
  orderBy.forEach((entry, index) => {
    const order = parseOrderBy(entry);
    const direction = order.ascending ? 'ASC' : 'DESC';
    const entity = entityOf(order.entity, entry);
    const alias = `ob${index}`;
    if (entity === 'metric' || entity === 'param' || entity === 'tag') {
      const table = entity === 'metric' ? 'latest_metrics' : entity === 'param' ? 'params' : 'run_tags';
      qb.leftJoin(`${table} as ${alias}`, (join) =>
        join.on(`${alias}.run_uuid`, 'r.run_uuid').andOn(`${alias}.key`, qb.client.raw('?', [order.key])),
      );
      // Strings sort by code point (COLLATE "C") so the order does not depend on the database's locale.
      const nanLast = entity === 'metric' ? `, (${alias}.value = 'NaN'::float8) ASC` : '';
      const collate = entity === 'metric' ? '' : ' COLLATE "C"';
      qb.orderByRaw(`(${alias}.value IS NULL) ASC${nanLast}, ${alias}.value${collate} ${direction}`);
      return;
    }
    if (entity !== 'attribute')
      throw invalidParameter(`Invalid order_by clause '${entry}': runs cannot be ordered by datasets.`);
    const column = STRING_ATTRIBUTES[order.key] ?? NUMERIC_ATTRIBUTES[order.key];
    if (!column)
      throw invalidParameter(`Invalid order_by clause '${entry}': unknown attribute '${order.key}'.`);
    if (column === 'r.start_time') orderedByStartTime = true;
    const collate = STRING_ATTRIBUTES[order.key] ? ' COLLATE "C"' : '';
    qb.orderByRaw(`${column}${collate} ${direction} NULLS LAST`);
  });
  if (!orderedByStartTime) qb.orderBy('r.start_time', 'desc');
  qb.orderBy('r.run_uuid', 'asc');
}
