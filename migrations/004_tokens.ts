import type { Knex } from 'knex';

/**
 * Access tokens (issue 5). Only the SHA-256 of a secret is stored: secrets are 32 random bytes, so a fast
 * hash is enough (nothing to brute-force) and a lookup by hash is one index probe per request, with no
 * per-request key-derivation cost. `models` holds glob patterns; empty means every model.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE tokens (
      id bigserial PRIMARY KEY,
      secret_sha256 char(64) NOT NULL CONSTRAINT tokens_secret_sha256_key UNIQUE
        CHECK (secret_sha256 ~ '^[0-9a-f]{64}$'),
      scope varchar(16) NOT NULL CHECK (scope IN ('read', 'write', 'admin')),
      models text[] NOT NULL DEFAULT '{}' CHECK (cardinality(models) <= 100),
      expires_at bigint,
      description text CHECK (char_length(description) <= 1000),
      created_at bigint NOT NULL,
      last_used_at bigint,
      revoked boolean NOT NULL DEFAULT false,
      -- An admin token whose scope spans models would let a restricted holder mint unrestricted tokens.
      CONSTRAINT tokens_admin_unrestricted CHECK (scope <> 'admin' OR cardinality(models) = 0)
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE tokens');
}
