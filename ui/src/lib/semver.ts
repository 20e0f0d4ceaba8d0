/**
 * Semver precedence (semver.org §11) for sorting in the browser, without pulling the `semver` package into
 * the bundle. Versions that do not parse sort below every valid one, by their integer version.
 */
export interface ParsedSemver {
  major: number;
  minor: number;
  patch: number;
  prerelease: string[];
}

const SEMVER =
  /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

export function parseSemver(text: string | undefined | null): ParsedSemver | undefined {
  const match = text ? SEMVER.exec(text) : null;
  if (!match) return undefined;
  return {
    major: Number(match[1]),
    minor: Number(match[2]),
    patch: Number(match[3]),
    prerelease: match[4] ? match[4].split('.') : [],
  };
}

export function isPrerelease(text: string | undefined | null): boolean {
  return (parseSemver(text)?.prerelease.length ?? 0) > 0;
}

/** §11.4: numeric identifiers compare numerically and below alphanumeric ones, which compare in ASCII order. */
function compareIdentifier(a: string, b: string): number {
  const numA = /^\d+$/.test(a);
  const numB = /^\d+$/.test(b);
  if (numA && numB) return Number(a) - Number(b);
  if (numA) return -1;
  if (numB) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Negative, zero or positive as `a` has lower, equal or higher precedence than `b` (build metadata ignored). */
export function compareSemver(a: ParsedSemver, b: ParsedSemver): number {
  const core = a.major - b.major || a.minor - b.minor || a.patch - b.patch;
  if (core !== 0) return core;
  // §11.3: a prerelease has lower precedence than its release.
  if (a.prerelease.length === 0 || b.prerelease.length === 0)
    return b.prerelease.length - a.prerelease.length;
  const length = Math.min(a.prerelease.length, b.prerelease.length);
  for (let i = 0; i < length; i += 1) {
    const order = compareIdentifier(a.prerelease[i], b.prerelease[i]);
    if (order !== 0) return order;
  }
  return a.prerelease.length - b.prerelease.length;
}

export interface Versioned {
  version: string;
  semver?: string | null;
}

/** Highest precedence first; ties and unparsable semvers fall back to the integer version, highest first. */
export function bySemverDescending<T extends Versioned>(items: T[]): T[] {
  return [...items].sort((x, y) => {
    const a = parseSemver(x.semver);
    const b = parseSemver(y.semver);
    if (a && b) return compareSemver(b, a) || Number(y.version) - Number(x.version);
    if (a) return -1;
    if (b) return 1;
    return Number(y.version) - Number(x.version);
  });
}

/** The highest release (no prerelease) among the items, if any. */
export function highestRelease<T extends Versioned>(items: T[]): T | undefined {
  return bySemverDescending(items).find((item) => item.semver && !isPrerelease(item.semver));
}
