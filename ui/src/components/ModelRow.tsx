import { quoted, searchModelVersions } from '../api/registry';
import { tagMap, type RegisteredModel } from '../api/types';
import { useApi } from '../hooks/use-api';
import { href } from '../lib/routes';
import { highestRelease } from '../lib/semver';
import { Link } from '../router';
import { HolderList, holdersOf } from './HolderList';
import { Time } from './Time';

/**
 * One model of the list. The highest release and the last CI job are not part of the model's own record,
 * so each row asks for them with two small version searches (a page shows at most 50 rows).
 */
async function loadSummary(name: string) {
  const [bySemver, byCi] = await Promise.all([
    searchModelVersions({ filter: `name = ${quoted(name)}`, order_by: ['semver DESC'], max_results: 20 }),
    searchModelVersions({
      filter: `name = ${quoted(name)} AND tag.\`ci.job_id\` IS NOT NULL`,
      order_by: ['creation_timestamp DESC'],
      max_results: 1,
    }),
  ]);
  const versions = (bySemver.model_versions ?? []).map((v) => ({
    version: v.version,
    semver: tagMap(v.tags).semver,
  }));
  const lastCi = byCi.model_versions?.[0];
  return {
    release: highestRelease(versions),
    ciJobId: lastCi ? tagMap(lastCi.tags)['ci.job_id'] : undefined,
  };
}

export function ModelRow({ model }: { model: RegisteredModel }) {
  const summary = useApi(() => loadSummary(model.name), [model.name, model.last_updated_timestamp]);
  return (
    <tr>
      <th scope="row">
        <Link href={href.model(model.name)}>{model.name}</Link>
      </th>
      <td class="semver-cell">
        {summary.status === 'ok' ? (
          summary.data.release ? (
            <Link href={href.version(model.name, summary.data.release.version)}>
              {summary.data.release.semver}
            </Link>
          ) : (
            <span class="muted">no release</span>
          )
        ) : summary.status === 'error' ? (
          <span class="muted">?</span>
        ) : (
          <span class="muted">…</span>
        )}
      </td>
      <td>
        <HolderList model={model.name} holders={holdersOf(model)} />
      </td>
      <td>
        {summary.status === 'ok' && summary.data.ciJobId ? (
          <Link href={href.ciJob(summary.data.ciJobId)}>{summary.data.ciJobId}</Link>
        ) : (
          <span class="muted">—</span>
        )}
      </td>
      <td>
        <Time ms={model.last_updated_timestamp} />
      </td>
    </tr>
  );
}
