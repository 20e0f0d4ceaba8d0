import { useEffect, useState } from 'preact/hooks';
import { getExperiment, searchRuns } from '../api/tracking';
import type { Run } from '../api/types';
import { Loaded } from '../components/Loaded';
import { Time } from '../components/Time';
import { useApi } from '../hooks/use-api';
import { href } from '../lib/routes';
import { metricNumber } from '../lib/metric-series';
import { Link, setSearchParams, type LocationState } from '../router';

/** The columns: the params and metrics that occur in this page of runs, at most a dozen of each. */
function columnsOf(runs: Run[], pick: (run: Run) => Array<{ key: string }> | undefined): string[] {
  return [...new Set(runs.flatMap((run) => (pick(run) ?? []).map((item) => item.key)))].sort().slice(0, 12);
}

function formatMetric(value: number | string | undefined): string {
  if (value === undefined) return '';
  const n = metricNumber(value);
  return n === null ? String(value) : String(Number(n.toPrecision(6)));
}

export function RunsPage({ experimentId, location }: { experimentId: string; location: LocationState }) {
  const filter = location.search.get('filter') ?? '';
  const pageToken = location.search.get('page') ?? undefined;
  const [input, setInput] = useState(filter);
  useEffect(() => setInput(filter), [filter]);
  const state = useApi(async () => {
    const [experiment, runs] = await Promise.all([
      getExperiment(experimentId),
      searchRuns({
        experiment_ids: [experimentId],
        filter: filter || undefined,
        max_results: 100,
        page_token: pageToken,
        order_by: ['attributes.start_time DESC'],
      }),
    ]);
    return { experiment: experiment.experiment, ...runs };
  }, [experimentId, filter, pageToken]);
  const submit = (event: Event) => {
    event.preventDefault();
    setSearchParams({ filter: input.trim() || undefined, page: undefined });
  };
  return (
    <main>
      <p class="muted">
        <Link href={href.experiments()}>Experiments</Link> /
      </p>
      <Loaded state={state} what={`experiment ${experimentId}`}>
        {({ experiment, runs = [], next_page_token }) => {
          const params = columnsOf(runs, (r) => r.data.params);
          const metrics = columnsOf(runs, (r) => r.data.metrics);
          return (
            <>
              <h1>{experiment.name}</h1>
              <form class="toolbar" role="search" onSubmit={submit}>
                <label>
                  Filter runs
                  <input
                    type="search"
                    name="filter"
                    value={input}
                    placeholder="metrics.accuracy > 0.9 and params.alpha = '0.1'"
                    onInput={(e) => setInput((e.target as HTMLInputElement).value)}
                  />
                </label>
                <button type="submit">Search</button>
              </form>
              {runs.length === 0 ? (
                <p class="empty">
                  {filter ? 'No run matches this filter.' : 'No runs in this experiment yet.'}
                </p>
              ) : (
                <div class="table-scroll">
                  <table class="runs">
                    <thead>
                      <tr>
                        <th scope="col">Run</th>
                        <th scope="col">Status</th>
                        <th scope="col">Started</th>
                        {params.map((p) => (
                          <th scope="col" key={`p-${p}`}>
                            {p}
                          </th>
                        ))}
                        {metrics.map((m) => (
                          <th scope="col" key={`m-${m}`}>
                            {m}
                          </th>
                        ))}
                      </tr>
                    </thead>
                    <tbody>
                      {runs.map((run) => {
                        const p = Object.fromEntries((run.data.params ?? []).map((x) => [x.key, x.value]));
                        const m = Object.fromEntries((run.data.metrics ?? []).map((x) => [x.key, x.value]));
                        return (
                          <tr key={run.info.run_id}>
                            <th scope="row">
                              <Link href={href.run(run.info.run_id)}>
                                {run.info.run_name || run.info.run_id}
                              </Link>
                            </th>
                            <td>{run.info.status}</td>
                            <td>
                              <Time ms={Number(run.info.start_time)} />
                            </td>
                            {params.map((key) => (
                              <td key={`p-${key}`}>{p[key] ?? ''}</td>
                            ))}
                            {metrics.map((key) => (
                              <td key={`m-${key}`}>{formatMetric(m[key])}</td>
                            ))}
                          </tr>
                        );
                      })}
                    </tbody>
                  </table>
                </div>
              )}
              <nav class="pager" aria-label="Pages">
                {pageToken && (
                  <button type="button" onClick={() => setSearchParams({ page: undefined })}>
                    First page
                  </button>
                )}
                {next_page_token && (
                  <button type="button" onClick={() => setSearchParams({ page: next_page_token })}>
                    Next page
                  </button>
                )}
              </nav>
            </>
          );
        }}
      </Loaded>
    </main>
  );
}
