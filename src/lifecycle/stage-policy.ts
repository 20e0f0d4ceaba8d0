import fs from 'node:fs';
import YAML from 'yaml';
import type { Db, Queryable } from '../db/knex';
import { invalidParameter, MlflowError, registeredModelNotFound } from '../errors';
import type { Logger } from '../log';

/**
 * Stage policy as data (issue 7): which stages exist (MLflow's four by default, custom ones allowed), how many
 * versions each may hold, which moves are allowed, whether entering a stage archives its previous occupants
 * (ZenML-style), and which tags a version needs before it may enter. One registry-wide default, optionally
 * overridden per model. A refusal is 400 INVALID_STATE naming the rule: MLflow would send 500, which its
 * client retries for minutes (mlflow-compat.md §2.4).
 */
export interface StageRule {
  name: string;
  /** Most versions the stage may hold at once; absent/null → unlimited. */
  capacity?: number | null;
  /** Entering the stage moves the previous occupants to Archived instead of refusing when it is full. */
  archive_previous?: boolean;
  /** Tags a version must carry (with these values) to enter the stage. */
  required_tags?: Record<string, string>;
}

export interface Transition {
  from: string;
  to: string;
}

export interface StagePolicy {
  stages: StageRule[];
  /** Allowed moves; '*' matches any stage; an empty list allows every move. */
  transitions: Transition[];
}

/** MLflow's behaviour: four stages, no limits, every move allowed. */
export const DEFAULT_POLICY: StagePolicy = Object.freeze({
  stages: [{ name: 'None' }, { name: 'Staging' }, { name: 'Production' }, { name: 'Archived' }],
  transitions: [],
}) as StagePolicy;

export const INITIAL_STAGE = 'None';
const ARCHIVED = 'Archived';
const STAGE_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;

function same(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Checks a policy a user sent (PUT /api/policies or the YAML seed) and returns it normalised. */
export function validatePolicy(input: unknown): StagePolicy {
  const raw = input as Partial<StagePolicy> | null;
  if (!raw || !Array.isArray(raw.stages) || raw.stages.length === 0)
    throw invalidParameter('A stage policy needs a non-empty "stages" list.');
  const stages: StageRule[] = [];
  for (const stage of raw.stages) {
    if (!stage || typeof stage.name !== 'string' || !STAGE_NAME.test(stage.name)) {
      throw invalidParameter(
        `Invalid stage name '${String(stage?.name).slice(0, 80)}': 1-64 letters, digits, spaces, '.', '_' or '-'.`,
      );
    }
    if (stages.some((s) => same(s.name, stage.name)))
      throw invalidParameter(`Stage '${stage.name}' is listed twice.`);
    const capacity = stage.capacity ?? null;
    if (capacity !== null && (!Number.isSafeInteger(capacity) || capacity < 1)) {
      throw invalidParameter(
        `Invalid capacity ${capacity} for stage '${stage.name}': a whole number >= 1, or null for unlimited.`,
      );
    }
    const requiredTags = stage.required_tags ?? {};
    if (
      typeof requiredTags !== 'object' ||
      Array.isArray(requiredTags) ||
      Object.values(requiredTags).some((v) => typeof v !== 'string')
    ) {
      throw invalidParameter(`required_tags of stage '${stage.name}' must map tag keys to string values.`);
    }
    stages.push({
      name: stage.name,
      ...(capacity !== null ? { capacity } : {}),
      ...(stage.archive_previous ? { archive_previous: true } : {}),
      ...(Object.keys(requiredTags).length ? { required_tags: requiredTags } : {}),
    });
  }
  // A new version always starts in None (MLflow), so None exists even when the policy does not list it.
  if (!stages.some((s) => same(s.name, INITIAL_STAGE))) stages.unshift({ name: INITIAL_STAGE });
  const transitions: Transition[] = [];
  for (const t of raw.transitions ?? []) {
    if (!t || typeof t.from !== 'string' || typeof t.to !== 'string')
      throw invalidParameter('Each transition needs "from" and "to".');
    for (const end of [t.from, t.to]) {
      if (end !== '*' && !stages.some((s) => same(s.name, end)))
        throw invalidParameter(`Transition ${t.from} → ${t.to} names an unknown stage '${end}'.`);
    }
    transitions.push({ from: t.from, to: t.to });
  }
  return { stages, transitions };
}

interface PolicyRow {
  registered_model_id: number | null;
  policy: StagePolicy;
}

/** The policy that governs a model: its override, else the registry default, else MLflow's behaviour. */
export async function effectivePolicy(db: Queryable, registeredModelId: number | null): Promise<StagePolicy> {
  const rows = (await db<PolicyRow>('stage_policies')
    .where((q) => {
      q.whereNull('registered_model_id');
      if (registeredModelId !== null) q.orWhere('registered_model_id', registeredModelId);
    })
    .select('registered_model_id', 'policy')) as PolicyRow[];
  const own = rows.find((r) => r.registered_model_id !== null);
  return (own ?? rows[0])?.policy ?? DEFAULT_POLICY;
}

/** The policy's spelling of `stage` (case-insensitive like MLflow's stage names), or undefined. */
export function findStage(policy: StagePolicy, stage: string): StageRule | undefined {
  return policy.stages.find((s) => same(s.name, stage));
}

export async function getPolicies(
  db: Queryable,
): Promise<{ default: StagePolicy; models: Record<string, StagePolicy> }> {
  const rows = (await db('stage_policies as p')
    .leftJoin('registered_models as m', 'm.id', 'p.registered_model_id')
    .select('p.registered_model_id', 'p.policy', 'm.name')
    .orderBy('m.name')) as Array<PolicyRow & { name: string | null }>;
  const models: Record<string, StagePolicy> = {};
  let registryDefault = DEFAULT_POLICY;
  for (const row of rows) {
    if (row.registered_model_id === null) registryDefault = row.policy;
    else if (row.name) models[row.name] = row.policy;
  }
  return { default: registryDefault, models };
}

async function modelId(db: Queryable, name: string): Promise<number> {
  const row = await db('registered_models').where({ name }).first('id');
  if (!row) throw registeredModelNotFound(name);
  return row.id;
}

/** Stores the default (no model) or a model's override; `reset` drops a model's override. */
export async function putPolicy(
  db: Queryable,
  input: { model?: string; reset?: boolean } & Partial<StagePolicy>,
): Promise<{ model?: string; policy: StagePolicy }> {
  const id = input.model === undefined ? null : await modelId(db, input.model);
  if (input.reset) {
    if (id === null) {
      await db('stage_policies').whereNull('registered_model_id').delete();
      return { policy: DEFAULT_POLICY };
    }
    await db('stage_policies').where({ registered_model_id: id }).delete();
    return { model: input.model, policy: await effectivePolicy(db, id) };
  }
  const policy = validatePolicy({ stages: input.stages, transitions: input.transitions });
  await db.raw(
    `INSERT INTO stage_policies (registered_model_id, policy, updated_at) VALUES (?, ?::jsonb, ?)
     ON CONFLICT (COALESCE(registered_model_id, 0)) DO UPDATE SET policy = EXCLUDED.policy, updated_at = EXCLUDED.updated_at`,
    [id, JSON.stringify(policy), Date.now()],
  );
  return input.model === undefined ? { policy } : { model: input.model, policy };
}

/**
 * Seeds policies from STAGE_POLICY_FILE at start: `{default: policy, models: {name: policy}}` or a bare policy.
 * Seeding never overwrites a policy already stored (changes made with PUT survive restarts).
 */
export async function seedPoliciesFromFile(db: Db, file: string, log: Logger): Promise<void> {
  const doc = YAML.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown> | null;
  if (!doc || typeof doc !== 'object') throw new Error(`${file}: expected a YAML mapping`);
  const entries: Array<[string | null, unknown]> = 'stages' in doc ? [[null, doc]] : [];
  if (doc.default) entries.push([null, doc.default]);
  for (const [name, policy] of Object.entries((doc.models as Record<string, unknown>) ?? {}))
    entries.push([name, policy]);
  for (const [name, raw] of entries) {
    let policy: StagePolicy;
    try {
      policy = validatePolicy(raw);
    } catch (err) {
      throw new Error(`${file}: policy ${name ?? 'default'}: ${(err as Error).message}`);
    }
    const id =
      name === null ? null : ((await db('registered_models').where({ name }).first('id'))?.id ?? undefined);
    if (id === undefined) {
      log.warn({ model: name, file }, 'stage policy names a model that does not exist yet; skipped');
      continue;
    }
    await db.raw(
      `INSERT INTO stage_policies (registered_model_id, policy, updated_at) VALUES (?, ?::jsonb, ?)
       ON CONFLICT (COALESCE(registered_model_id, 0)) DO NOTHING`,
      [id, JSON.stringify(policy), Date.now()],
    );
  }
}

export interface TransitionCheck {
  model: string;
  registeredModelId: number;
  version: number;
  fromStage: string;
  toStage: string;
  versionTags: Record<string, string>;
  /** MLflow's archive_existing_versions=true: archive occupants even if the policy does not ask to. */
  archiveExisting?: boolean;
  /** Rollback: only the stage must exist and its capacity hold; transition and tag rules are not applied. */
  skipRules?: boolean;
}

export interface TransitionPlan {
  /** The policy's spelling of the target stage. */
  stage: string;
  /** Versions that must move to `archiveStage` with this transition. */
  archive: number[];
  archiveStage: string;
}

function refuse(rule: string, message: string): MlflowError {
  return new MlflowError('INVALID_STATE', `Stage policy rule '${rule}': ${message}`, 400);
}

/**
 * Checks a stage transition against the model's policy; returns what to archive or throws 400 INVALID_STATE
 * naming the broken rule. Call it inside the transaction that performs the move, with the model row locked,
 * so the capacity count cannot race.
 */
export async function checkTransition(trx: Queryable, check: TransitionCheck): Promise<TransitionPlan> {
  const policy = await effectivePolicy(trx, check.registeredModelId);
  const target = findStage(policy, check.toStage);
  if (!target) {
    throw refuse(
      'stages',
      `stage '${check.toStage}' is not defined for model '${check.model}'; defined stages: ${policy.stages.map((s) => s.name).join(', ')}.`,
    );
  }
  const from = findStage(policy, check.fromStage)?.name ?? check.fromStage;
  if (
    !check.skipRules &&
    policy.transitions.length > 0 &&
    !policy.transitions.some(
      (t) => (t.from === '*' || same(t.from, from)) && (t.to === '*' || same(t.to, target.name)),
    )
  ) {
    const allowed = policy.transitions.map((t) => `${t.from} → ${t.to}`).join(', ');
    throw refuse(
      'transitions',
      `moving version ${check.version} of '${check.model}' from ${from} to ${target.name} is not allowed; allowed moves: ${allowed}.`,
    );
  }
  for (const [key, value] of Object.entries(check.skipRules ? {} : (target.required_tags ?? {}))) {
    if (check.versionTags[key] !== value) {
      throw refuse(
        'required_tags',
        `stage ${target.name} requires tag ${key}=${value} on the version; version ${check.version} has ${key}=${check.versionTags[key] ?? '(unset)'}.`,
      );
    }
  }
  const archiveStage = findStage(policy, ARCHIVED)?.name ?? ARCHIVED;
  if (same(target.name, INITIAL_STAGE) || same(target.name, archiveStage))
    return { stage: target.name, archive: [], archiveStage };
  const occupants = (await trx('model_versions')
    .where({ registered_model_id: check.registeredModelId })
    .whereRaw('lower(current_stage) = lower(?)', [target.name])
    .whereNot({ version: check.version })
    .orderBy([{ column: 'last_updated_timestamp' }, { column: 'version' }])
    .pluck('version')) as number[];
  if (target.archive_previous || check.archiveExisting) {
    // With a capacity, only the oldest overflow leaves; without one, every previous occupant does.
    const keep = target.capacity ? target.capacity - 1 : 0;
    const archive = occupants.slice(0, Math.max(occupants.length - keep, 0));
    return { stage: target.name, archive, archiveStage };
  }
  if (target.capacity && occupants.length >= target.capacity) {
    throw refuse(
      'capacity',
      `stage ${target.name} of '${check.model}' holds at most ${target.capacity} version(s) and already holds version(s) ${occupants.join(', ')}; archive one first or set archive_previous.`,
    );
  }
  return { stage: target.name, archive: [], archiveStage };
}
