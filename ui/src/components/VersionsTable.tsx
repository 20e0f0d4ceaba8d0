import { useState } from 'preact/hooks';
import { packageSize } from '../api/model-data';
import { tagMap, type ModelVersion } from '../api/types';
import { useApi } from '../hooks/use-api';
import { formatBytes } from '../lib/format';
import { href } from '../lib/routes';
import { isPrerelease } from '../lib/semver';
import { Link } from '../router';
import { Time } from './Time';

const PAGE = 50;

function FilesCell({ name, semver, count }: { name: string; semver?: string; count?: number }) {
  const size = useApi(
    () => (count && semver ? packageSize(name, semver) : Promise.resolve(undefined)),
    [name, semver, count],
  );
  if (!count) return <span class="muted">—</span>;
  return (
    <>
      {count} {count === 1 ? 'file' : 'files'}
      {size.status === 'ok' && size.data !== undefined && (
        <span class="muted"> · {formatBytes(size.data)}</span>
      )}
    </>
  );
}

/** Versions in the order given (semver precedence, highest first), 50 rows at a time so 1,000 stay fast. */
export function VersionsTable({
  name,
  versions,
  fileCounts,
}: {
  name: string;
  versions: ModelVersion[];
  fileCounts: Record<string, number>;
}) {
  const [shown, setShown] = useState(PAGE);
  return (
    <>
      <div class="table-scroll">
        <table class="versions">
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Semver</th>
              <th scope="col">Stage</th>
              <th scope="col">Aliases</th>
              <th scope="col">Status</th>
              <th scope="col">Created</th>
              <th scope="col">CI job</th>
              <th scope="col">Run</th>
              <th scope="col">Files</th>
            </tr>
          </thead>
          <tbody>
            {versions.slice(0, shown).map((v) => {
              const tags = tagMap(v.tags);
              return (
                <tr key={v.version}>
                  <th scope="row">
                    <Link href={href.version(name, v.version)}>v{v.version}</Link>
                  </th>
                  <td>
                    {tags.semver ? (
                      <span class={isPrerelease(tags.semver) ? 'badge prerelease' : 'badge'}>
                        {tags.semver}
                      </span>
                    ) : (
                      <span class="muted">—</span>
                    )}
                  </td>
                  <td>
                    {v.current_stage && v.current_stage !== 'None' ? (
                      v.current_stage
                    ) : (
                      <span class="muted">—</span>
                    )}
                  </td>
                  <td>{(v.aliases ?? []).map((a) => `@${a}`).join(' ') || <span class="muted">—</span>}</td>
                  <td>{v.status}</td>
                  <td>
                    <Time ms={v.creation_timestamp} />
                  </td>
                  <td>
                    {tags['ci.job_id'] ? (
                      <Link href={href.ciJob(tags['ci.job_id'])}>{tags['ci.job_id']}</Link>
                    ) : (
                      <span class="muted">—</span>
                    )}
                  </td>
                  <td>
                    {v.run_id ? (
                      <Link href={href.run(v.run_id)}>{v.run_id.slice(0, 8)}</Link>
                    ) : (
                      <span class="muted">—</span>
                    )}
                  </td>
                  <td>
                    <FilesCell name={name} semver={tags.semver} count={fileCounts[v.version]} />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {versions.length > shown && (
        <nav class="pager" aria-label="More versions">
          <button type="button" onClick={() => setShown(shown + PAGE)}>
            Show {Math.min(PAGE, versions.length - shown)} more of {versions.length - shown}
          </button>
        </nav>
      )}
    </>
  );
}
