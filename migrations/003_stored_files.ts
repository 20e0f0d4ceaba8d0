import type { Knex } from 'knex';

/**
 * Size and sha256 of every file the artifact store holds (issue 4: "Size and sha256 of every stored file
 * are recorded in PostgreSQL"). The row is written after the file is renamed into place, so a crashed upload
 * leaves no row; a key is the store's normalised relative path, so a prefix delete is a `starts_with`.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE stored_files (
      key text PRIMARY KEY CHECK (char_length(key) BETWEEN 1 AND 4096 AND key !~ '^/'),
      size bigint NOT NULL CHECK (size >= 0),
      sha256 char(64) NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
      content_type text,
      created_at bigint NOT NULL
    );
    -- Prefix deletes and listings (starts_with) walk keys in byte order.
    CREATE INDEX stored_files_key_prefix_idx ON stored_files (key text_pattern_ops);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE stored_files');
}
