import type { Knex } from 'knex';
import { invalidParameter } from '../errors';
import { ciColumnForTag } from '../ci/ci-job';
import { SEMVER_TAG } from '../registry/views';
import { Clause, parseFilter, parseOrderBy } from './filter';
import { PROMPT_TAG } from './registered-models';
import { numericOperator, stringOperator, unsupported, whereInList, whereString } from './sql';

/**
 * model-versions/search: `name`, `version_number` (numeric), `run_id` (also IN / NOT IN), `source_path`,
 * and `tags.<k>` / `tag.<k>`. The `semver` and `ci.*` tags are typed columns, so filtering on them hits the
 * columns (`tag.semver = '1.2.0'`, ``tag.`ci.job_id` = '123'``). `order_by` adds semreg's `semver` key,
 * which sorts by semver.org precedence.
 */
const TAG_ENTITIES = new Set(['tag', 'tags']);
const ATTRIBUTE_ENTITIES = new Set([undefined, 'attribute', 'attributes']);

function tagCondition(qb: Knex.QueryBuilder, clause: Clause): void {
  const ciColumn = ciColumnForTag(clause.key);
  const column = clause.key === SEMVER_TAG ? 'mv.semver' : ciColumn && `mv.${ciColumn}`;
  if (column) {
    if (clause.comparator === 'IS NULL') return void qb.whereNull(column);
    if (clause.comparator === 'IS NOT NULL') return void qb.whereNotNull(column);
    return whereString(qb, column, clause);
  }
  const exists = (sub: Knex.QueryBuilder, op?: string) => {
    sub
      .select('t.key')
      .from('model_version_tags as t')
      .whereRaw('t.model_version_id = mv.id')
      .where('t.key', clause.key);
    if (op) sub.where('t.value', op, clause.value as string);
  };
  if (clause.comparator === 'IS NULL') return void qb.whereNotExists((sub) => exists(sub));
  if (clause.comparator === 'IS NOT NULL') return void qb.whereExists((sub) => exists(sub));
  qb.whereExists((sub) => exists(sub, stringOperator(clause)));
}

/**
 * Applies `filter` to `qb`. Returns the model name when the filter pins a single registered model
 * (`name = '…'`), the shape of the client's `search_model_versions("name='m'")`: the order may then skip the
 * name tie-break, and the caller may add that model's id so the planner can walk its versions in index order.
 */
export function applyModelVersionFilter(
  qb: Knex.QueryBuilder,
  filter: string | undefined,
): { oneModel?: string } {
  const clauses = parseFilter(filter);
  for (const clause of clauses) {
    if (clause.entity && TAG_ENTITIES.has(clause.entity)) {
      tagCondition(qb, clause);
      continue;
    }
    if (!ATTRIBUTE_ENTITIES.has(clause.entity)) unsupported(clause, `unknown entity '${clause.entity}'`);
    switch (clause.key) {
      case 'name':
        whereString(qb, 'rm.name', clause);
        break;
      case 'source_path':
        whereString(qb, 'mv.source', clause);
        break;
      case 'run_id':
        if (clause.comparator === 'IN' || clause.comparator === 'NOT IN')
          whereInList(qb, 'mv.run_id', clause);
        else whereString(qb, 'mv.run_id', clause);
        break;
      case 'version_number': {
        // The client quotes numbers sometimes (version_number = '3'); accept both.
        const value =
          typeof clause.value === 'string' && /^\d+$/.test(clause.value)
            ? Number(clause.value)
            : clause.value;
        qb.where('mv.version', numericOperator({ ...clause, value }), value as number);
        break;
      }
      default:
        unsupported(
          clause,
          'model versions can be filtered by name, version_number, run_id, source_path and tags.<key>',
        );
    }
  }
  if (
    !clauses.some((clause) => clause.entity && TAG_ENTITIES.has(clause.entity) && clause.key === PROMPT_TAG)
  ) {
    qb.whereNotExists((sub) =>
      sub
        .select('p.key')
        .from('model_version_tags as p')
        .whereRaw('p.model_version_id = mv.id')
        .where({ 'p.key': PROMPT_TAG, 'p.value': 'true' }),
    );
  }
  const pinned = clauses.find(
    (clause) => clause.key === 'name' && clause.comparator === '=' && ATTRIBUTE_ENTITIES.has(clause.entity),
  );
  return { oneModel: pinned && String(pinned.value) };
}

const ORDER_COLUMNS: Record<string, string[]> = {
  name: ['rm.name'],
  version_number: ['mv.version'],
  creation_timestamp: ['mv.creation_timestamp'],
  last_updated_timestamp: ['mv.last_updated_timestamp'],
  timestamp: ['mv.last_updated_timestamp'],
  semver: ['mv.major', 'mv.minor', 'mv.patch', 'mv.prerelease_key'],
};

export function applyModelVersionOrder(
  qb: Knex.QueryBuilder,
  orderBy: string[],
  { oneModel }: { oneModel?: string } = {},
): void {
  const seen = new Set<string>();
  for (const entry of orderBy.map(parseOrderBy)) {
    const columns = ATTRIBUTE_ENTITIES.has(entry.entity) ? ORDER_COLUMNS[entry.key] : undefined;
    if (!columns) {
      throw invalidParameter(
        `Invalid order_by key '${entry.key}': use name, version_number, creation_timestamp, last_updated_timestamp or semver.`,
      );
    }
    if (seen.has(entry.key)) throw invalidParameter(`order_by names '${entry.key}' more than once.`);
    seen.add(entry.key);
    for (const column of columns) qb.orderBy(column, entry.ascending ? 'asc' : 'desc');
  }
  // MLflow's default order, also the tie-break: last_updated_timestamp DESC, name ASC, version DESC. Within one
  // model the name is constant: leaving it out lets one index (model, last update, version) give the order.
  if (orderBy.length === 0) qb.orderBy('mv.last_updated_timestamp', 'desc');
  if (!seen.has('name') && !oneModel) qb.orderBy('rm.name', 'asc');
  if (!seen.has('version_number')) qb.orderBy('mv.version', 'desc');
}
