import type { Knex } from 'knex';
import { modelPatternLike } from '../auth/model-pattern';
import { invalidParameter } from '../errors';
import type { Clause, Comparator } from './filter';

/** SQL building blocks shared by the search translators: one clause → one WHERE condition. */
const STRING_COMPARATORS: Partial<Record<Comparator, string>> = {
  '=': '=',
  '!=': '<>',
  LIKE: 'LIKE',
  ILIKE: 'ILIKE',
};

const NUMERIC_COMPARATORS: Partial<Record<Comparator, string>> = {
  '=': '=',
  '!=': '<>',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
};

function describeClause(clause: Clause): string {
  return `${clause.entity ? `${clause.entity}.` : ''}${clause.key} ${clause.comparator}`;
}

export function unsupported(clause: Clause, allowed: string): never {
  throw invalidParameter(`Invalid filter clause '${describeClause(clause)}': ${allowed}.`);
}

/** The SQL operator for a string comparison (=, !=, LIKE, ILIKE), or a 400 naming what is allowed. */
export function stringOperator(clause: Clause): string {
  const op = STRING_COMPARATORS[clause.comparator];
  if (!op || typeof clause.value !== 'string')
    unsupported(clause, 'expected =, !=, LIKE or ILIKE with a quoted string');
  return op;
}

export function numericOperator(clause: Clause): string {
  const op = NUMERIC_COMPARATORS[clause.comparator];
  if (!op || typeof clause.value !== 'number')
    unsupported(clause, 'expected =, !=, <, <=, >, >= with a number');
  return op;
}

/** `column <op> value` with a string comparator. */
export function whereString(qb: Knex.QueryBuilder, column: string, clause: Clause): void {
  qb.where(column, stringOperator(clause), clause.value as string);
}

/** `column IN (…)` / `NOT IN (…)`. */
export function whereInList(qb: Knex.QueryBuilder, column: string, clause: Clause): void {
  if (!Array.isArray(clause.value)) unsupported(clause, 'IN expects a parenthesised list');
  if (clause.comparator === 'IN') qb.whereIn(column, clause.value);
  else qb.whereNotIn(column, clause.value);
}

/**
 * Keeps only rows whose model name matches one of a restricted token's patterns (none = no restriction),
 * so searches never list models the token may not read.
 */
export function whereModelVisible(qb: Knex.QueryBuilder, column: string, patterns: readonly string[]): void {
  if (patterns.length === 0) return;
  qb.where((inner) => {
    for (const pattern of patterns)
      inner.orWhereRaw("?? LIKE ? ESCAPE '\\'", [column, modelPatternLike(pattern)]);
  });
}
