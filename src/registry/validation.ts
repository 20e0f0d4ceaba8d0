import { invalidParameter, missingParameter } from '../errors';

/**
 * MLflow's validation limits for registry entities (mlflow-compat.md §6.1), checked before anything
 * touches the database. The database repeats the essential ones as constraints.
 */
const MAX_MODEL_NAME = 256;
const MAX_TAG_KEY = 250;
const MAX_TAG_VALUE = 100_000;
const MAX_DESCRIPTION = 5000;
const MAX_ALIAS = 255;
const TAG_KEY_RE = /^[/\w.\- :]*$/;
const ALIAS_RE = /^[\w-]*$/;
const CONTROL_RE = /[\u0000-\u001f\u007f]/;
const PERCENT_ESCAPE_RE = /%[0-9a-fA-F]{2}/;

export function validateModelName(name: string | undefined, parameter = 'name'): string {
  if (name === undefined || name === '') throw missingParameter(parameter);
  if (name.length > MAX_MODEL_NAME) {
    throw invalidParameter(
      `Registered model name is ${name.length} characters long; the limit is ${MAX_MODEL_NAME}.`,
    );
  }
  if (/[/:]/.test(name)) {
    throw invalidParameter(`Invalid model name '${name}': names cannot contain '/' or ':'.`);
  }
  if (name.includes('..') || name.trim() !== name || CONTROL_RE.test(name)) {
    throw invalidParameter(
      `Invalid model name '${name}': names cannot contain '..', control characters or surrounding spaces.`,
    );
  }
  // One canonical form: `churn%2Dv2` and `churn-v2` must not become look-alike models (security checklist §7).
  if (PERCENT_ESCAPE_RE.test(name)) {
    throw invalidParameter(
      `Invalid model name '${name}': percent-encoded sequences are not allowed; send the decoded name.`,
    );
  }
  return name;
}

/** Registry tag keys: ≤ 250 chars, `^[/\w.\- :]*$`, a normalised relative path. */
export function validateTagKey(key: string | undefined): string {
  if (key === undefined || key === '') throw missingParameter('key');
  if (key.length > MAX_TAG_KEY)
    throw invalidParameter(`Tag key '${key.slice(0, 50)}…' is longer than ${MAX_TAG_KEY} characters.`);
  if (!TAG_KEY_RE.test(key)) {
    throw invalidParameter(
      `Invalid tag key '${key}': names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colons (:) and slashes (/).`,
    );
  }
  const segments = key.split('/');
  if (key.startsWith('/') || key === '.' || segments.includes('..') || key.includes('//')) {
    throw invalidParameter(
      `Invalid tag key '${key}': it must be a normalised relative path (no leading '/', '..' or '//').`,
    );
  }
  return key;
}

export function validateTagValue(value: string | undefined, key: string): string | undefined {
  if (value !== undefined && value.length > MAX_TAG_VALUE) {
    throw invalidParameter(
      `Tag '${key}' has a value of ${value.length} characters; the limit is ${MAX_TAG_VALUE}.`,
    );
  }
  return value;
}

export function validateDescription(description: string | undefined): string | undefined {
  if (description !== undefined && description.length > MAX_DESCRIPTION) {
    throw invalidParameter(
      `Description is ${description.length} characters long; the limit is ${MAX_DESCRIPTION}.`,
    );
  }
  return description;
}

/** Aliases: `^[\w-]*$`, ≤ 255; `latest` and `v<digits>` are reserved because `models:/` URIs use them. */
export function validateAlias(alias: string | undefined): string {
  if (alias === undefined || alias === '') throw missingParameter('alias');
  if (alias.length > MAX_ALIAS || !ALIAS_RE.test(alias)) {
    throw invalidParameter(
      `Invalid alias '${alias.slice(0, 300)}': aliases use only alphanumerics, '_' and '-', at most ${MAX_ALIAS} characters.`,
    );
  }
  if (alias.toLowerCase() === 'latest' || /^[vV]\d+$/.test(alias)) {
    throw invalidParameter(`Invalid alias '${alias}': 'latest' and 'v<number>' are reserved.`);
  }
  return alias;
}

/** MLflow's `version` is an integer string; anything else is refused with the reference server's message. */
export function parseVersionNumber(version: string | number | undefined): number {
  if (version === undefined || version === '') throw missingParameter('version');
  const text = String(version);
  const parsed = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(parsed) || parsed > 2_147_483_647) {
    throw invalidParameter(`Parameter 'version' must be an integer, got '${text.slice(0, 100)}'.`);
  }
  return parsed;
}
