import { useEffect, useState } from 'preact/hooks';
import { searchRegisteredModels } from '../api/registry';
import { Loaded } from '../components/Loaded';
import { ModelRow } from '../components/ModelRow';
import { useApi } from '../hooks/use-api';
import { MODEL_SORTS, modelFilter } from '../lib/model-filter';
import { setSearchParams, type LocationState } from '../router';

const PAGE_SIZE = 50;

/** The registry's front page. Search, sort and page live in the URL, so every view can be shared. */
export function ModelsPage({ location }: { location: LocationState }) {
  const q = location.search.get('q') ?? '';
  const sort = MODEL_SORTS[location.search.get('sort') ?? ''] ? location.search.get('sort')! : 'name';
  const pageToken = location.search.get('page') ?? undefined;
  const [input, setInput] = useState(q);
  useEffect(() => setInput(q), [q]);
  const models = useApi(
    () =>
      searchRegisteredModels({
        filter: modelFilter(q),
        order_by: MODEL_SORTS[sort].orderBy,
        max_results: PAGE_SIZE,
        page_token: pageToken,
      }),
    [q, sort, pageToken],
  );
  const submit = (event: Event) => {
    event.preventDefault();
    setSearchParams({ q: input.trim() || undefined, page: undefined });
  };
  return (
    <main>
      <h1>Models</h1>
      <form class="toolbar" role="search" onSubmit={submit}>
        <label>
          Search
          <input
            type="search"
            name="q"
            value={input}
            placeholder="name, or a filter: tags.team = 'fraud'"
            onInput={(e) => setInput((e.target as HTMLInputElement).value)}
          />
        </label>
        <button type="submit">Search</button>
        <label>
          Sort by
          <select
            name="sort"
            value={sort}
            onChange={(e) =>
              setSearchParams({ sort: (e.target as HTMLSelectElement).value, page: undefined })
            }
          >
            {Object.entries(MODEL_SORTS).map(([key, { label }]) => (
              <option key={key} value={key}>
                {label}
              </option>
            ))}
          </select>
        </label>
      </form>
      <Loaded state={models} what="models">
        {(data) =>
          (data.registered_models ?? []).length === 0 ? (
            <p class="empty">
              {q
                ? 'No model matches this search.'
                : 'No models yet — register one with mlflow.register_model(…) or upload a package with curl -T file …/api/packages/<model>/<semver>/<file>.'}
            </p>
          ) : (
            <>
              <div class="table-scroll">
                <table class="models">
                  <thead>
                    <tr>
                      <th scope="col">Model</th>
                      <th scope="col">Highest release</th>
                      <th scope="col">Stages and aliases</th>
                      <th scope="col">Last CI job</th>
                      <th scope="col">Last update</th>
                    </tr>
                  </thead>
                  <tbody>
                    {(data.registered_models ?? []).map((model) => (
                      <ModelRow key={model.name} model={model} />
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
