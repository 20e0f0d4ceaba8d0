import type { Queryable } from '../db/knex';
import { applyRunFilter, applyRunOrder } from '../search/runs';
import { decodePageToken, paginate } from '../search/page-token';
import { RUN_COLUMNS, RunJson, RunRow, runsToJson } from './run-view';
import { parseMaxResults } from './values';
import { parseExperimentId } from './validation';
import { lifecycleStages, parseViewType } from './view-type';

/** runs/search: default 1000 results, more than 50000 is refused (MLflow's SEARCH_MAX_RESULTS_THRESHOLD). */
export async function searchRuns(
  db: Queryable,
  input: {
    experiment_ids?: string[];
    filter?: string;
    run_view_type?: unknown;
    max_results?: unknown;
    order_by?: string[];
    page_token?: string;
  },
): Promise<{ runs: RunJson[]; next_page_token?: string }> {
  const maxResults = parseMaxResults(input.max_results, { fallback: 1000, max: 50000 });
  const experimentIds = (input.experiment_ids ?? []).map((id) => parseExperimentId(id, 'experiment_ids'));
  const stages = lifecycleStages(parseViewType(input.run_view_type, 'run_view_type'));
  const offset = decodePageToken(input.page_token);
  const query = db('runs as r')
    .select(RUN_COLUMNS.map((column) => `r.${column}`))
    .whereIn('r.experiment_id', experimentIds)
    .whereIn('r.lifecycle_stage', stages);
  applyRunFilter(query, input.filter);
  applyRunOrder(query, input.order_by ?? []);
  if (!experimentIds.length) return { runs: [] };
  const rows = (await query.offset(offset).limit(maxResults + 1)) as RunRow[];
  const page = paginate(rows, offset, maxResults);
  return {
    runs: await runsToJson(db, page.items),
    ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}),
  };
}
