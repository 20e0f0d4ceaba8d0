import { invalidParameter } from '../errors';
import type { EventRecord } from './events';

/**
 * The webhook event catalogue: MLflow 3's six registry events (mlflow/entities/webhook.py, payloads in
 * mlflow/webhooks/types.py) plus the ones MLflow lacks. Events are stored as '<entity>.<action>' in MLflow's
 * lower-case form; the REST API speaks the proto enum names (`{"entity": "MODEL_VERSION", "action":
 * "CREATED"}`).
 *
 * MLflow's client validates entity/action pairs when it parses a webhook, so a webhook subscribed to one of
 * semreg's extra events is best managed through the REST API rather than `MlflowClient.list_webhooks`.
 */
const MLFLOW_EVENTS = [
  'registered_model.created',
  'model_version.created',
  'model_version_tag.set',
  'model_version_tag.deleted',
  'model_version_alias.created',
  'model_version_alias.deleted',
  // Accepted so MLflow clients can subscribe; semreg has no prompt registry, so they never fire.
  'prompt.created',
  'prompt_version.created',
  'prompt_tag.set',
  'prompt_tag.deleted',
  'prompt_version_tag.set',
  'prompt_version_tag.deleted',
  'prompt_alias.created',
  'prompt_alias.deleted',
] as const;

const SEMREG_EVENTS = [
  'registered_model.deleted',
  'model_version.deleted',
  /** An alias pointed elsewhere; `previous_version` says where it pointed before. */
  'model_version_alias.updated',
  /** A stage transition: `from_stage`, `to_stage`, and the versions it archived. */
  'model_version_stage.updated',
  /** A package file was published (PUT /api/packages/...). */
  'package.published',
] as const;

export const WEBHOOK_EVENTS: readonly string[] = [...MLFLOW_EVENTS, ...SEMREG_EVENTS];

export interface WireEvent {
  entity: string;
  action: string;
}

/** `{entity, action}` as sent by the MLflow client (enum names, any case) → 'entity.action'. */
export function eventKey(event: WireEvent): string {
  if (!event || typeof event.entity !== 'string' || typeof event.action !== 'string') {
    throw invalidParameter('Each webhook event must have an entity and an action.');
  }
  const key = `${event.entity.toLowerCase()}.${event.action.toLowerCase()}`;
  if (!WEBHOOK_EVENTS.includes(key)) {
    throw invalidParameter(
      `Invalid webhook event entity '${event.entity}' with action '${event.action}'. Valid events are: ${WEBHOOK_EVENTS.join(', ')}.`,
    );
  }
  return key;
}

export function wireEvent(key: string): WireEvent {
  const [entity, action] = key.split('.');
  return { entity: entity.toUpperCase(), action: action.toUpperCase() };
}

export interface Notification {
  event: string;
  data: Record<string, unknown>;
}

type Json = Record<string, any>;

function tagsObject(tags: unknown): Record<string, string> {
  if (Array.isArray(tags)) return Object.fromEntries(tags.map((t: Json) => [t.key, t.value ?? '']));
  return (tags as Record<string, string>) ?? {};
}

/** Which webhook events a recorded history event fires, with MLflow's payload (`data`) for each. */
export function notificationsFor(event: Omit<EventRecord, 'id'>): Notification[] {
  const name = event.model;
  const version = event.version ?? undefined;
  const after = (event.after ?? {}) as Json;
  const before = (event.before ?? {}) as Json;
  switch (event.type) {
    case 'model.created':
      return [
        {
          event: 'registered_model.created',
          data: { name, tags: tagsObject(after.tags), description: after.description ?? null },
        },
      ];
    case 'model.deleted':
      return [{ event: 'registered_model.deleted', data: { name } }];
    case 'version.created':
      return [
        {
          event: 'model_version.created',
          data: {
            name,
            version,
            source: after.source ?? null,
            run_id: after.run_id ?? null,
            tags: tagsObject(after.tags),
            description: after.description ?? null,
            semver: event.semver,
          },
        },
      ];
    case 'version.deleted':
      return [{ event: 'model_version.deleted', data: { name, version, semver: event.semver } }];
    case 'tag.set':
      // MLflow has webhooks for model-version tags only.
      return version === undefined
        ? []
        : [{ event: 'model_version_tag.set', data: { name, version, key: after.key, value: after.value } }];
    case 'tag.deleted':
      return version === undefined
        ? []
        : [{ event: 'model_version_tag.deleted', data: { name, version, key: before.key } }];
    case 'alias.set': {
      const previous =
        before.version === undefined || before.version === null ? undefined : String(before.version);
      // MLflow fires alias.created on every set, moves included; semreg adds previous_version to it.
      const created: Notification = {
        event: 'model_version_alias.created',
        data: {
          name,
          alias: event.alias,
          version,
          ...(previous !== undefined ? { previous_version: previous } : {}),
        },
      };
      if (previous === undefined || previous === version) return [created];
      return [
        created,
        {
          event: 'model_version_alias.updated',
          data: { name, alias: event.alias, version, previous_version: previous },
        },
      ];
    }
    case 'alias.deleted':
      return [{ event: 'model_version_alias.deleted', data: { name, alias: event.alias } }];
    case 'stage.transitioned':
      return [
        {
          event: 'model_version_stage.updated',
          data: {
            name,
            version,
            semver: event.semver,
            from_stage: before.stage ?? null,
            to_stage: after.stage ?? event.stage,
            archived_versions: after.archived_versions ?? [],
          },
        },
      ];
    case 'package.file_added':
      return [
        {
          event: 'package.published',
          data: {
            name,
            version,
            semver: event.semver,
            path: after.path,
            size: after.size,
            sha256: after.sha256,
          },
        },
      ];
    default:
      return [];
  }
}

/** Example payloads for `POST webhooks/{id}/test`, like MLflow's get_example_payload_for_event. */
export function examplePayload(key: string): Record<string, unknown> {
  const [entity] = key.split('.');
  const base = { name: 'example_model', version: '1' };
  switch (key) {
    case 'registered_model.created':
    case 'prompt.created':
      return {
        name: 'example_model',
        tags: { example_key: 'example_value' },
        description: 'An example registered model',
      };
    case 'model_version.created':
    case 'prompt_version.created':
      return {
        ...base,
        source: 'models:/m-0123456789abcdef0123456789abcdef',
        run_id: 'abcd1234abcd5678',
        tags: { example_key: 'example_value' },
        description: 'An example model version',
      };
    case 'model_version_stage.updated':
      return {
        ...base,
        semver: '1.0.0',
        from_stage: 'Staging',
        to_stage: 'Production',
        archived_versions: [],
      };
    case 'package.published':
      return { ...base, semver: '1.0.0', path: 'model.bin', size: 3, sha256: '0'.repeat(64) };
    default:
      if (entity.endsWith('_tag')) return { ...base, key: 'example_key', value: 'example_value' };
      if (entity.endsWith('_alias')) return { ...base, alias: 'example_alias' };
      return base;
  }
}
