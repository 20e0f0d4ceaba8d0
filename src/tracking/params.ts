import type { Queryable } from '../db/knex';
import { invalidParameter } from '../errors';
import { MAX_PARAM_VALUE_LENGTH, truncateValue, validateKey } from './validation';

/**
 * Params are write-once (mlflow-compat.md §3.3): the same value again is a no-op (a replayed request must be
 * harmless), a different value is INVALID_PARAMETER_VALUE. Insert-then-compare instead of check-then-insert,
 * so two concurrent writers cannot both "win".
 */
export interface ParamInput {
  key?: string;
  value?: string;
}

export function normaliseParam(param: ParamInput): { key: string; value: string } {
  return { key: validateKey(param.key, 'param'), value: truncateValue(param.value, MAX_PARAM_VALUE_LENGTH) };
}

/** MLflow refuses a batch that names the same param key twice, even with equal values. */
export function refuseDuplicateParamKeys(params: Array<{ key: string }>): void {
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  for (const { key } of params) (seen.has(key) ? duplicates : seen).add(key);
  if (duplicates.size) {
    throw invalidParameter(
      `Duplicate parameter keys have been submitted: ${JSON.stringify([...duplicates])}. Please ensure the request contains only one param value per param key.`,
    );
  }
}

/**
 * Inserts params into `table` for the owner (`run_uuid` or `model_id`); refuses changed values. Call it
 * inside a transaction so a refused value rolls back the rest of the request.
 */
export async function insertWriteOnceParams(
  db: Queryable,
  target: { table: 'params' | 'logged_model_params'; ownerColumn: 'run_uuid' | 'model_id'; ownerId: string },
  params: Array<{ key: string; value: string }>,
): Promise<void> {
  if (!params.length) return;
  const { table, ownerColumn, ownerId } = target;
  await db(table)
    .insert(params.map((p) => ({ [ownerColumn]: ownerId, key: p.key, value: p.value })))
    .onConflict([ownerColumn, 'key'])
    .ignore();
  const stored = await db(table)
    .select('key', 'value')
    .where(ownerColumn, ownerId)
    .whereIn(
      'key',
      params.map((p) => p.key),
    );
  const storedByKey = new Map(stored.map((row) => [row.key as string, row.value as string]));
  for (const param of params) {
    const existing = storedByKey.get(param.key);
    if (existing !== param.value) {
      const owner = ownerColumn === 'run_uuid' ? 'run ID' : 'logged model ID';
      throw invalidParameter(
        `Changing param values is not allowed. Param with key='${param.key}' was already logged with value='${existing}' for ${owner}='${ownerId}'. Attempted logging new value '${param.value}'.`,
      );
    }
  }
}
