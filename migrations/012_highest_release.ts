import type { Knex } from 'knex';

/**
 * `highest_release(model_id, model_name)`: the highest release a model has or once published as a package
 * (reserved semvers, migration 008), from which a version created without a semver takes the next patch.
 *
 * A version create is one statement that locks the model's row as it starts (registry/version-insert.ts).
 * When that lock was held by another create, the statement goes on with the snapshot it took before waiting,
 * which does not show the version the other create just committed: reading the highest release there would
 * hand out the same patch twice. A VOLATILE function takes a fresh snapshot for each query it runs, and this
 * one runs after the lock is granted, since its argument is the locked row's id. PL/pgSQL because the planner
 * never inlines it into the calling statement (an inlined SQL function would read with the caller's snapshot).
 * `ROWS 1` (it returns at most one): with the default estimate of 1,000 rows the create's generic plan looked
 * so costly that PostgreSQL planned the prepared statement again at every call.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION highest_release(model_id bigint, model_name text)
      RETURNS TABLE (major bigint, minor bigint, patch bigint)
      LANGUAGE plpgsql VOLATILE ROWS 1 AS $$
    BEGIN
      RETURN QUERY
        SELECT r.major, r.minor, r.patch FROM (
          (SELECT v.major, v.minor, v.patch FROM model_versions v
            WHERE v.registered_model_id = highest_release.model_id AND v.prerelease = ''
            ORDER BY v.major DESC, v.minor DESC, v.patch DESC LIMIT 1)
          UNION ALL
          (SELECT d.major, d.minor, d.patch FROM deleted_package_files d
            WHERE d.model_name = highest_release.model_name AND d.prerelease = ''
            ORDER BY d.major DESC, d.minor DESC, d.patch DESC LIMIT 1)
        ) AS r
        ORDER BY r.major DESC, r.minor DESC, r.patch DESC LIMIT 1;
    END
    $$;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP FUNCTION highest_release(bigint, text)');
}
