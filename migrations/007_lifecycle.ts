import type { Knex } from 'knex';

/**
 * Model lifecycle (issue 7): the append-only event history, stage policies, and webhooks with their
 * transactional outbox. Events carry names and numbers rather than foreign keys on purpose: history must
 * outlive the model it describes (a deleted model's past is still auditable).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE events (
      id bigserial PRIMARY KEY,
      type varchar(64) NOT NULL,
      "time" bigint NOT NULL,
      actor varchar(256),
      model varchar(256),
      registered_model_id bigint,
      version integer,
      semver text,
      stage varchar(64),
      alias varchar(255),
      before jsonb,
      after jsonb,
      ci_job_id varchar(256)
    );
    CREATE INDEX events_model_idx ON events (registered_model_id, id);
    CREATE INDEX events_model_name_idx ON events (model, id);
    CREATE INDEX events_time_idx ON events ("time", id);

    -- History is evidence: once written, an event is never changed or removed (not even by semreg itself).
    CREATE FUNCTION events_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'events are append-only (% refused)', TG_OP USING ERRCODE = '42501';
    END
    $$;
    CREATE TRIGGER events_no_update_or_delete BEFORE UPDATE OR DELETE ON events
      FOR EACH ROW EXECUTE FUNCTION events_are_append_only();
    CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
      FOR EACH STATEMENT EXECUTE FUNCTION events_are_append_only();

    -- registered_model_id NULL is the registry-wide default; a row per model overrides it.
    CREATE TABLE stage_policies (
      id bigserial PRIMARY KEY,
      registered_model_id bigint REFERENCES registered_models(id) ON DELETE CASCADE,
      policy jsonb NOT NULL,
      updated_at bigint NOT NULL
    );
    CREATE UNIQUE INDEX stage_policies_scope_key ON stage_policies (COALESCE(registered_model_id, 0));

    CREATE TABLE webhooks (
      id varchar(32) PRIMARY KEY,
      name varchar(63) NOT NULL,
      description text CHECK (char_length(description) <= 1000),
      url text NOT NULL CHECK (char_length(url) <= 2048),
      -- Kept in clear so the worker can sign deliveries (HMAC needs the key); never returned by the API.
      secret text,
      -- '<entity>.<action>' in MLflow's lower-case form, e.g. 'model_version.created'.
      events text[] NOT NULL CHECK (cardinality(events) >= 1),
      status varchar(16) NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'DISABLED')),
      creation_timestamp bigint NOT NULL,
      last_updated_timestamp bigint NOT NULL
    );
    CREATE INDEX webhooks_events_idx ON webhooks USING gin (events);

    -- The outbox: one row per (event, webhook), written in the transaction of the change it announces.
    -- 'pending' = not tried yet, 'failed' = tried and due again at next_attempt_at, 'dead' = gave up.
    CREATE TABLE webhook_deliveries (
      id uuid PRIMARY KEY,
      webhook_id varchar(32) NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
      event_id bigint REFERENCES events(id),
      event varchar(64) NOT NULL,
      -- The exact JSON body, fixed at enqueue time so every retry sends (and signs) the same bytes.
      payload text NOT NULL,
      status varchar(16) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed', 'dead')),
      attempts integer NOT NULL DEFAULT 0,
      next_attempt_at bigint NOT NULL,
      created_at bigint NOT NULL,
      -- Start of the retry window (24 h by default): set at enqueue and again by a manual redelivery.
      retry_from bigint NOT NULL,
      last_attempt_at bigint,
      completed_at bigint,
      response_code integer,
      latency_ms integer,
      last_error text
    );
    CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at)
      WHERE status IN ('pending', 'failed');
    CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, created_at DESC);

    -- The delivery log: every attempt, kept after success so operators can see what a receiver answered.
    CREATE TABLE webhook_delivery_attempts (
      id bigserial PRIMARY KEY,
      delivery_id uuid NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
      attempt integer NOT NULL,
      "time" bigint NOT NULL,
      response_code integer,
      latency_ms integer,
      error text
    );
    CREATE INDEX webhook_delivery_attempts_delivery_idx ON webhook_delivery_attempts (delivery_id, attempt);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TABLE webhook_delivery_attempts;
    DROP TABLE webhook_deliveries;
    DROP TABLE webhooks;
    DROP TABLE stage_policies;
    DROP TABLE events;
    DROP FUNCTION events_are_append_only();
  `);
}
