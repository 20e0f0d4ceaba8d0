import { tagMap, type ModelVersion } from '../api/types';
import { href } from '../lib/routes';
import { bySemverDescending, isPrerelease } from '../lib/semver';
import { Link } from '../router';

/** Releases and prereleases in precedence order, lowest first, as a strip of linked badges. */
export function SemverTimeline({ name, versions }: { name: string; versions: ModelVersion[] }) {
  const items = bySemverDescending(
    versions.map((v) => ({ version: v.version, semver: tagMap(v.tags).semver })).filter((v) => v.semver),
  ).reverse();
  if (items.length === 0) return null;
  const shown = items.slice(-60);
  return (
    <section aria-label="Semver timeline">
      <h2>Semver timeline</h2>
      {items.length > shown.length && (
        <p class="muted">
          The latest {shown.length} of {items.length}.
        </p>
      )}
      <ol class="semver-timeline">
        {shown.map((item) => (
          <li key={item.version}>
            <Link
              href={href.version(name, item.version)}
              class={isPrerelease(item.semver) ? 'badge prerelease' : 'badge'}
              title={isPrerelease(item.semver) ? 'prerelease' : 'release'}
            >
              {item.semver}
            </Link>
          </li>
        ))}
      </ol>
    </section>
  );
}
