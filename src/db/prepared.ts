import type { Knex } from 'knex';

/**
 * Runs `query` as a named prepared statement: PostgreSQL parses and plans it once per connection instead of at
 * every call. For the registry's reads planning cost more than running (warm, on 10,000 models: 0.5 ms to plan
 * the model-details statement, 0.2 ms to run it), and a read is one or two such statements. The creates'
 * statements run prepared too: a version create plans them while its model's row is locked.
 *
 * Two rules for the statements given here, both enforced by PostgreSQL rather than by a check of ours:
 * - the text must not depend on the arguments (values are bound; a list of varying length, a filter that adds
 *   conditions, would make another text under the same name, which pg refuses). One name per call site.
 * - the result columns are listed, never `table.*` (or are wrapped in JSON): a column added by a migration
 *   while another replica holds the statement would fail it with "cached plan must not change result type".
 */
export function prepared<Q extends Knex.ChainableInterface>(name: string, query: Q): Q {
  return query.options({ name });
}
