import type { Knex } from 'knex';
import { invalidParameter } from '../errors';
import { Clause, OrderBy, parseFilter, parseOrderBy } from './filter';
import { stringOperator, unsupported, whereString } from './sql';

/**
 * registered-models/search: `name` (bare or `attributes.name`) and `tags.<k>` / `tag.<k>` with =, !=, LIKE,
 * ILIKE (and IS [NOT] NULL on tags); order by name, timestamp / last_updated_timestamp, creation_timestamp.
 */
export const PROMPT_TAG = 'mlflow.prompt.is_prompt';
const TAG_ENTITIES = new Set(['tag', 'tags']);

function tagCondition(qb: Knex.QueryBuilder, clause: Clause): void {
  const exists = (sub: Knex.QueryBuilder, op?: string) => {
    sub
      .select('t.key')
      .from('registered_model_tags as t')
      .whereRaw('t.registered_model_id = rm.id')
      .where('t.key', clause.key);
    if (op) sub.where('t.value', op, clause.value as string);
  };
  if (clause.comparator === 'IS NULL') return void qb.whereNotExists((sub) => exists(sub));
  if (clause.comparator === 'IS NOT NULL') return void qb.whereExists((sub) => exists(sub));
  const op = stringOperator(clause);
  // The MLflow 3 client adds `tag.mlflow.prompt.is_prompt != 'true'` to every search; it must match
  // models that lack the tag, or the search comes back empty (mlflow-compat.md §6.3).
  if (op === '<>' && clause.key === PROMPT_TAG) {
    return void qb.whereNotExists((sub) => {
      exists(sub);
      sub.where('t.value', '=', clause.value as string);
    });
  }
  qb.whereExists((sub) => exists(sub, op));
}

export function applyRegisteredModelFilter(qb: Knex.QueryBuilder, filter: string | undefined): void {
  const clauses = parseFilter(filter);
  for (const clause of clauses) {
    if (
      (clause.entity === undefined || clause.entity === 'attributes' || clause.entity === 'attribute') &&
      clause.key === 'name'
    ) {
      whereString(qb, 'rm.name', clause);
    } else if (clause.entity && TAG_ENTITIES.has(clause.entity)) {
      tagCondition(qb, clause);
    } else {
      unsupported(clause, "registered models can be filtered by 'name' and 'tags.<key>' only");
    }
  }
  // Prompts are registered models too; they stay hidden unless the filter asks about them.
  if (
    !clauses.some((clause) => clause.entity && TAG_ENTITIES.has(clause.entity) && clause.key === PROMPT_TAG)
  ) {
    qb.whereNotExists((sub) =>
      sub
        .select('p.key')
        .from('registered_model_tags as p')
        .whereRaw('p.registered_model_id = rm.id')
        .where({ 'p.key': PROMPT_TAG, 'p.value': 'true' }),
    );
  }
}

const ORDER_COLUMNS: Record<string, string> = {
  name: 'rm.name',
  timestamp: 'rm.last_updated_timestamp',
  last_updated_timestamp: 'rm.last_updated_timestamp',
  creation_timestamp: 'rm.creation_timestamp',
};

export function applyRegisteredModelOrder(qb: Knex.QueryBuilder, orderBy: string[]): void {
  const seen = new Set<string>();
  const entries: OrderBy[] = orderBy.map(parseOrderBy);
  for (const entry of entries) {
    const column = (entry.entity === undefined || entry.entity === 'attributes') && ORDER_COLUMNS[entry.key];
    if (!column) {
      throw invalidParameter(
        `Invalid order_by key '${entry.key}': use name, timestamp, last_updated_timestamp or creation_timestamp.`,
      );
    }
    if (seen.has(column)) throw invalidParameter(`order_by names '${entry.key}' more than once.`);
    seen.add(column);
    qb.orderBy(column, entry.ascending ? 'asc' : 'desc');
  }
  if (!seen.has('rm.name')) qb.orderBy('rm.name', 'asc');
}
