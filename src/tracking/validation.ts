import { invalidParameter, invalidValue, missingParameter } from '../errors';

/**
 * The limits MLflow's reference server enforces on tracking entities (mlflow-compat.md §6.1,
 * mlflow/utils/validation.py).
 */
export const MAX_KEY_LENGTH = 250;
export const MAX_PARAM_VALUE_LENGTH = 6000;
export const MAX_RUN_TAG_VALUE_LENGTH = 8000;
export const MAX_EXPERIMENT_NAME_LENGTH = 500;
export const MAX_EXPERIMENT_TAG_VALUE_LENGTH = 5000;
export const MAX_RUN_NAME_LENGTH = 250;

const KEY_CHARACTERS = /^[/\w.\- :]*$/;

/**
 * Metric, param and tag keys name files in MLflow's file store, so they must be normalised relative paths:
 * no leading `/`, no `.`/`..` segment, no `//`.
 */
export function validateKey(
  key: string | undefined,
  kind: 'metric' | 'param' | 'tag',
  maxLength = MAX_KEY_LENGTH,
): string {
  if (key === undefined || key === '') throw missingParameter('key');
  if (key.length > maxLength) {
    throw invalidParameter(
      `${kind} name '${key.slice(0, 100)}…' had length ${key.length}, which exceeded length limit of ${maxLength}.`,
    );
  }
  if (!KEY_CHARACTERS.test(key)) {
    throw invalidParameter(
      `Invalid ${kind} name: '${key}'. Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colons (:) and slashes (/).`,
    );
  }
  if (key.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) {
    throw invalidParameter(
      `Invalid ${kind} name: '${key}'. Names must be normalized relative paths (no '.', '..', '//' or leading '/').`,
    );
  }
  return key;
}

/**
 * MLflow truncates over-long param and run-tag values while MLFLOW_TRUNCATE_LONG_VALUES is on (its default)
 * instead of refusing them; semreg does the same so client scripts behave identically.
 */
export function truncateValue(value: string | undefined, maxLength: number): string {
  const text = value ?? '';
  return text.length > maxLength ? text.slice(0, maxLength) : text;
}

export function validateLength(value: string, field: string, maxLength: number): string {
  if (value.length > maxLength) {
    throw invalidParameter(
      `'${field}' exceeds the maximum length of ${maxLength} characters (got ${value.length}).`,
    );
  }
  return value;
}

/** Run RPCs carry `run_id` and the legacy `run_uuid` with the same value; either one is enough (§1.2). */
export function requireRunId(input: { run_id?: string; run_uuid?: string }): string {
  const runId = input.run_id || input.run_uuid;
  if (!runId) throw missingParameter('run_id');
  return runId;
}

/** Experiment ids are decimal strings; anything else cannot name one. */
export function parseExperimentId(value: string | undefined, field = 'experiment_id'): string {
  if (value === undefined || value === '') throw missingParameter(field);
  if (!/^\d{1,18}$/.test(value)) {
    throw invalidValue(field, value, 'experiment ids are decimal integers.');
  }
  return String(Number(value));
}
