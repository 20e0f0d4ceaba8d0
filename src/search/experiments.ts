import type { Knex } from 'knex';
import { invalidParameter } from '../errors';
import { Clause, parseFilter, parseOrderBy } from './filter';
import { numericOperator, stringOperator, unsupported } from './sql';
import { parseExperimentId } from '../tracking/validation';

/**
 * experiments/search (mlflow-compat.md §6.3): `name` with =, !=, LIKE, ILIKE; `experiment_id` with =, !=, IN, NOT IN; `creation_time` and
 * `last_update_time` numerically; `tags.<k>` with =, !=, LIKE, ILIKE, IS [NOT] NULL. Order by name,
 * experiment_id, creation_time, last_update_time; default creation_time DESC, experiment_id ASC.
 */
const ATTRIBUTE_ENTITIES = new Set([undefined, 'attribute', 'attributes', 'attr']);
const TAG_ENTITIES = new Set(['tag', 'tags']);
const NUMERIC_ATTRIBUTES = new Set(['creation_time', 'last_update_time']);
const ORDERABLE = new Set(['name', 'experiment_id', 'creation_time', 'last_update_time']);

/** MLflow lists `experiment_id` among its searchable keys, with = / != and IN / NOT IN lists of id strings. */
function experimentIdCondition(qb: Knex.QueryBuilder, clause: Clause): void {
  const ids = (Array.isArray(clause.value) ? clause.value : [String(clause.value)]).map((id) =>
    parseExperimentId(id, 'experiment_id'),
  );
  if (clause.comparator === 'IN' || clause.comparator === '=') return void qb.whereIn('e.experiment_id', ids);
  if (clause.comparator === 'NOT IN' || clause.comparator === '!=')
    return void qb.whereNotIn('e.experiment_id', ids);
  unsupported(clause, 'experiment_id takes =, !=, IN or NOT IN');
}

function applyClause(qb: Knex.QueryBuilder, clause: Clause): void {
  if (ATTRIBUTE_ENTITIES.has(clause.entity)) {
    if (clause.key === 'name') return void qb.where('e.name', stringOperator(clause), clause.value as string);
    if (clause.key === 'experiment_id') return experimentIdCondition(qb, clause);
    if (NUMERIC_ATTRIBUTES.has(clause.key)) {
      return void qb.where(`e.${clause.key}`, numericOperator(clause), clause.value as number);
    }
    unsupported(
      clause,
      "experiments can be filtered by 'name', 'experiment_id', 'creation_time', 'last_update_time' and 'tags.<key>'",
    );
  }
  if (clause.entity && TAG_ENTITIES.has(clause.entity)) {
    const tagExists = (sub: Knex.QueryBuilder) =>
      sub
        .select(sub.client.raw('1'))
        .from('experiment_tags as t')
        .whereRaw('t.experiment_id = e.experiment_id')
        .where('t.key', clause.key);
    if (clause.comparator === 'IS NULL') return void qb.whereNotExists(tagExists);
    if (clause.comparator === 'IS NOT NULL') return void qb.whereExists(tagExists);
    const op = stringOperator(clause);
    return void qb.whereExists((sub) => tagExists(sub).where('t.value', op, clause.value as string));
  }
  unsupported(clause, `unknown entity '${clause.entity}'`);
}

export function applyExperimentFilter(qb: Knex.QueryBuilder, filter: string | undefined): void {
  for (const clause of parseFilter(filter)) applyClause(qb, clause);
}

export function applyExperimentOrder(qb: Knex.QueryBuilder, orderBy: string[]): void {
  const seen = new Set<string>();
  for (const entry of orderBy) {
    const order = parseOrderBy(entry);
    if (!ATTRIBUTE_ENTITIES.has(order.entity) || !ORDERABLE.has(order.key)) {
      throw invalidParameter(
        `Invalid order_by clause '${entry}': experiments can be ordered by name, experiment_id, creation_time or last_update_time.`,
      );
    }
    if (seen.has(order.key)) throw invalidParameter(`order_by contains '${order.key}' more than once.`);
    seen.add(order.key);
    // Names sort by code point (COLLATE "C"), independent of the database locale.
    qb.orderByRaw(
      `e.${order.key}${order.key === 'name' ? ' COLLATE "C"' : ''} ${order.ascending ? 'ASC' : 'DESC'}`,
    );
  }
  if (!orderBy.length) qb.orderBy('e.creation_time', 'desc');
  if (!seen.has('experiment_id')) qb.orderBy('e.experiment_id', 'asc');
}
