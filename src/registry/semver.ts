import semver from 'semver';
import { invalidParameter } from '../errors';

/** A semantic version split the way the database stores it (semver.org 2.0.0). */
export interface SemverParts {
  major: number;
  minor: number;
  patch: number;
  /** '' for a release */
  prerelease: string;
  /** '' when absent */
  build: string;
}

// semver.org's own regular expression (the "official" one from the FAQ), without a `v` prefix.
const NUM = '0|[1-9]\\d*';
const PRE_ID = `(?:${NUM}|\\d*[a-zA-Z-][0-9a-zA-Z-]*)`;
const STRICT = new RegExp(
  `^(${NUM})\\.(${NUM})\\.(${NUM})(?:-(${PRE_ID}(?:\\.${PRE_ID})*))?(?:\\+([0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*))?$`,
);
const MAX_LENGTH = 256;
const MAX_LABEL = 128;

/** Says which semver.org rule `value` breaks, for an error message a user can act on. */
function brokenRule(value: string): string {
  if (value.length === 0) return 'it is empty';
  if (value.length > MAX_LENGTH) return `it is longer than ${MAX_LENGTH} characters`;
  if (/^[vV=]/.test(value)) return "semver.org §2: no prefix such as 'v' is allowed, write e.g. 1.2.0";
  const core = value.split(/[-+]/, 1)[0];
  const parts = core.split('.');
  if (parts.length !== 3 || parts.some((p) => p === '')) {
    return 'semver.org §2: a version is MAJOR.MINOR.PATCH, three non-negative integers';
  }
  if (parts.some((p) => !/^\d+$/.test(p)))
    return 'semver.org §2: MAJOR, MINOR and PATCH must be non-negative integers';
  if (parts.some((p) => /^0\d/.test(p))) return 'semver.org §2: numbers must not have leading zeros';
  if (parts.some((p) => !Number.isSafeInteger(Number(p))))
    return `numbers must not exceed ${Number.MAX_SAFE_INTEGER}`;
  const pre = /^[^-+]*-([^+]*)/.exec(value)?.[1];
  if (pre !== undefined) {
    const ids = pre.split('.');
    if (ids.some((id) => id === '')) return 'semver.org §9: prerelease identifiers must not be empty';
    if (ids.some((id) => !/^[0-9A-Za-z-]+$/.test(id)))
      return 'semver.org §9: prerelease identifiers use only [0-9A-Za-z-]';
    if (ids.some((id) => /^0\d+$/.test(id)))
      return 'semver.org §9: numeric prerelease identifiers must not have leading zeros';
  }
  return 'semver.org §10: build metadata identifiers are non-empty and use only [0-9A-Za-z-]';
}

/** Parses a strict semver.org 2.0.0 version or throws INVALID_PARAMETER_VALUE naming the rule. */
export function parseSemver(value: string): SemverParts {
  const match = value.length <= MAX_LENGTH ? STRICT.exec(value) : null;
  if (!match)
    throw invalidParameter(`Invalid semantic version '${value.slice(0, 300)}': ${brokenRule(value)}.`);
  const [, major, minor, patch, prerelease = '', build = ''] = match;
  const numbers = [major, minor, patch].map(Number);
  if (numbers.some((n) => !Number.isSafeInteger(n))) {
    throw invalidParameter(
      `Invalid semantic version '${value}': numbers must not exceed ${Number.MAX_SAFE_INTEGER}.`,
    );
  }
  if (prerelease.length > MAX_LABEL || build.length > MAX_LABEL) {
    throw invalidParameter(
      `Invalid semantic version '${value}': prerelease and build are limited to ${MAX_LABEL} characters each.`,
    );
  }
  return { major: numbers[0], minor: numbers[1], patch: numbers[2], prerelease, build };
}

export function isStrictSemver(value: string): boolean {
  return value.length <= MAX_LENGTH && STRICT.test(value);
}

export function formatSemver(parts: SemverParts): string {
  return (
    `${parts.major}.${parts.minor}.${parts.patch}` +
    (parts.prerelease ? `-${parts.prerelease}` : '') +
    (parts.build ? `+${parts.build}` : '')
  );
}

/** A semver range in npm's grammar (`^1.2`, `~1.2.3`, `1.x`, `>=1.0.0 <2.0.0`), or undefined. */
export function parseRange(value: string): semver.Range | undefined {
  if (value.trim() === '' || value.length > MAX_LENGTH) return undefined;
  try {
    return new semver.Range(value);
  } catch {
    return undefined;
  }
}
