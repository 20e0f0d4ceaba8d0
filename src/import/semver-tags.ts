import { parseSemver } from '../registry/semver';
import type { KeyValue } from './source-types';

/**
 * The semver a source version asks for: its `semver` or `gitlab.version` tag, as semreg's create reads them.
 * When it cannot be kept (not valid semver.org 2.0.0, two different values, or already used by another
 * version of the model), the version is imported with the auto rule and the source's value stays visible in
 * the tag `semreg.import.semver`, and the import reports the conflict.
 */
export const SEMVER_TAG_KEYS = ['semver', 'gitlab.version'];
export const IMPORTED_SEMVER_TAG = 'semreg.import.semver';

export function requestedSemverTags(tags: KeyValue[]): KeyValue[] {
  return tags.filter((tag) => SEMVER_TAG_KEYS.includes(tag.key));
}

/** Why the requested semver cannot be taken as it is, or undefined when it can (or there is none). */
export function semverProblem(tags: KeyValue[]): string | undefined {
  const values = [...new Set(requestedSemverTags(tags).map((tag) => tag.value ?? ''))];
  if (values.length > 1) return `different semvers in its tags (${values.join(', ')})`;
  if (values.length === 0) return undefined;
  try {
    parseSemver(values[0]);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** The tags with the semver request replaced by the record of what the source had. */
export function withoutSemver(tags: KeyValue[]): KeyValue[] {
  const requested = requestedSemverTags(tags);
  const rest = tags.filter((tag) => !SEMVER_TAG_KEYS.includes(tag.key));
  if (!requested.length) return rest;
  return [
    ...rest,
    { key: IMPORTED_SEMVER_TAG, value: requested.map((t) => `${t.key}=${t.value ?? ''}`).join(', ') },
  ];
}
