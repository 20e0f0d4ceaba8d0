import { useEffect, useState } from 'preact/hooks';
import { searchExperiments } from '../api/tracking';
import { Loaded } from '../components/Loaded';
import { Time } from '../components/Time';
import { useApi } from '../hooks/use-api';
import { href } from '../lib/routes';
import { Link, setSearchParams, type LocationState } from '../router';

export function ExperimentsPage({ location }: { location: LocationState }) {
  const filter = location.search.get('filter') ?? '';
  const pageToken = location.search.get('page') ?? undefined;
  const [input, setInput] = useState(filter);
  useEffect(() => setInput(filter), [filter]);
  const experiments = useApi(
    () => searchExperiments({ filter: filter || undefined, max_results: 100, page_token: pageToken }),
    [filter, pageToken],
  );
  const submit = (event: Event) => {
    event.preventDefault();
    setSearchParams({ filter: input.trim() || undefined, page: undefined });
  };
  return (
    <main>
      <h1>Experiments</h1>
      <form class="toolbar" role="search" onSubmit={submit}>
        <label>
          Filter
          <input
            type="search"
            name="filter"
            value={input}
            placeholder="name LIKE 'churn%'"
            onInput={(e) => setInput((e.target as HTMLInputElement).value)}
          />
        </label>
        <button type="submit">Search</button>
      </form>
      <Loaded state={experiments} what="experiments">
        {(data) =>
          (data.experiments ?? []).length === 0 ? (
            <p class="empty">No experiments — log a run with mlflow.start_run() to create one.</p>
          ) : (
            <>
              <div class="table-scroll">
                <table class="experiments">
                  <thead>
                    <tr>
                      <th scope="col">Experiment</th>
                      <th scope="col">ID</th>
                      <th scope="col">Last update</th>
                    </tr>
                  </thead>
                  <tbody>
                    {(data.experiments ?? []).map((e) => (
                      <tr key={e.experiment_id}>
                        <th scope="row">
                          <Link href={href.experiment(e.experiment_id)}>{e.name}</Link>
                        </th>
                        <td>{e.experiment_id}</td>
                        <td>
                          <Time ms={e.last_update_time} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <nav class="pager" aria-label="Pages">
                {pageToken && (
                  <button type="button" onClick={() => setSearchParams({ page: undefined })}>
                    First page
                  </button>
                )}
                {data.next_page_token && (
                  <button type="button" onClick={() => setSearchParams({ page: data.next_page_token })}>
                    Next page
                  </button>
                )}
              </nav>
            </>
          )
        }
      </Loaded>
    </main>
  );
}
