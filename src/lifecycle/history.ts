import type { Queryable } from '../db/knex';
import { registeredModelNotFound } from '../errors';
import { EventRecord, toEventRecord, whereModel } from './events';
import { effectivePolicy, INITIAL_STAGE } from './stage-policy';

/**
 * Rebuilds which version held each stage and alias at an instant by replaying the model's events ("what
 * was in production on date X", which MLflow cannot answer). Conventions of the events are in events.ts.
 */
export interface ModelState {
  /** version → stage */
  stageOf: Map<string, string>;
  /** alias → version */
  aliases: Map<string, string>;
  exists: boolean;
}

export function replay(events: EventRecord[]): ModelState {
  const state: ModelState = { stageOf: new Map(), aliases: new Map(), exists: false };
  for (const event of events) {
    const version = event.version;
    switch (event.type) {
      case 'model.created':
      case 'model.deleted':
        state.stageOf.clear();
        state.aliases.clear();
        state.exists = event.type === 'model.created';
        break;
      case 'version.created':
        if (version)
          state.stageOf.set(version, String(event.after?.current_stage ?? event.stage ?? INITIAL_STAGE));
        break;
      case 'version.deleted':
        if (version) {
          state.stageOf.delete(version);
          for (const [alias, target] of state.aliases) if (target === version) state.aliases.delete(alias);
        }
        break;
      case 'stage.transitioned':
        if (version) state.stageOf.set(version, String(event.after?.stage ?? event.stage));
        break;
      case 'alias.set':
        if (event.alias && version) state.aliases.set(event.alias, version);
        break;
      case 'alias.deleted':
        if (event.alias) state.aliases.delete(event.alias);
        break;
      default:
        break;
    }
  }
  return state;
}

/** The highest version number in `stage` (MLflow's latest_versions rule). */
export function holderOf(state: ModelState, stage: string): string | null {
  let best: string | null = null;
  for (const [version, current] of state.stageOf) {
    if (current.toLowerCase() === stage.toLowerCase() && (best === null || Number(version) > Number(best)))
      best = version;
  }
  return best;
}

export async function modelEvents(
  db: Queryable,
  name: string,
  bound: { time?: number; beforeId?: number },
): Promise<EventRecord[]> {
  const builder = db('events').orderBy('id', 'asc');
  whereModel(builder, db, name);
  if (bound.time !== undefined) builder.where('time', '<=', bound.time);
  if (bound.beforeId !== undefined) builder.where('id', '<', bound.beforeId);
  return ((await builder) as Parameters<typeof toEventRecord>[0][]).map(toEventRecord);
}

export async function modelStateAt(
  db: Queryable,
  name: string,
  time: number,
): Promise<{
  time: number;
  stages: Record<string, string | null>;
  stage_versions: Record<string, string[]>;
  aliases: Record<string, string>;
}> {
  const model = await db('registered_models').where({ name }).first('id');
  const events = await modelEvents(db, name, { time });
  if (!model && events.length === 0) throw registeredModelNotFound(name);
  const state = replay(events);
  const policy = await effectivePolicy(db, model?.id ?? null);
  const stageNames = new Set(policy.stages.map((s) => s.name).filter((s) => s !== INITIAL_STAGE));
  for (const stage of state.stageOf.values()) if (stage !== INITIAL_STAGE) stageNames.add(stage);
  const stages: Record<string, string | null> = {};
  const stageVersions: Record<string, string[]> = {};
  for (const stage of stageNames) {
    stages[stage] = holderOf(state, stage);
    stageVersions[stage] = [...state.stageOf]
      .filter(([, s]) => s === stage)
      .map(([v]) => v)
      .sort((a, b) => Number(a) - Number(b));
  }
  return {
    time,
    stages,
    stage_versions: stageVersions,
    aliases: Object.fromEntries([...state.aliases].sort()),
  };
}
