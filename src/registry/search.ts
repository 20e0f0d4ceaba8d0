import type { Queryable } from '../db/knex';
import { orderByList } from '../search/filter';
import { applyModelVersionFilter, applyModelVersionOrder } from '../search/model-versions';
import { decodePageToken, paginate } from '../search/page-token';
import { applyRegisteredModelFilter, applyRegisteredModelOrder } from '../search/registered-models';
import { whereModelVisible } from '../search/sql';
import {
  ModelVersionJson,
  ModelVersionRow,
  modelVersionQuery,
  modelVersionsToJson,
  RegisteredModelJson,
  registeredModelsToJson,
} from './views';

/** Registry searches: filter → SQL, offset pages with base64 tokens (mlflow-compat.md §3.6, §3.7, §6). */
export interface SearchInput {
  filter?: string;
  max_results?: number;
  order_by?: string | string[];
  page_token?: string;
}

/** `visibleModels`: a restricted token's model-name patterns; empty lists every model. */
export async function searchRegisteredModels(
  db: Queryable,
  input: SearchInput,
  visibleModels: readonly string[] = [],
): Promise<{ registered_models: RegisteredModelJson[]; next_page_token?: string }> {
  const maxResults = input.max_results ?? 100;
  const offset = decodePageToken(input.page_token);
  const query = db('registered_models as rm').select('rm.*');
  applyRegisteredModelFilter(query, input.filter);
  whereModelVisible(query, 'rm.name', visibleModels);
  applyRegisteredModelOrder(query, orderByList(input.order_by));
  const rows = await query.offset(offset).limit(maxResults + 1);
  const page = paginate(rows, offset, maxResults);
  const registered_models = await registeredModelsToJson(db, page.items);
  return page.nextPageToken
    ? { registered_models, next_page_token: page.nextPageToken }
    : { registered_models };
}

export async function searchModelVersions(
  db: Queryable,
  input: SearchInput,
  visibleModels: readonly string[] = [],
): Promise<{ model_versions: ModelVersionJson[]; next_page_token?: string }> {
  const maxResults = input.max_results ?? 10000;
  const offset = decodePageToken(input.page_token);
  const query = modelVersionQuery(db);
  const shape = applyModelVersionFilter(query, input.filter);
  if (shape.oneModel !== undefined) {
    // Joined by name, the planner cannot tell one model's versions from all of them; given the id (found by
    // a subquery it runs first, in the same statement) it walks that model's versions in (model, last update,
    // version) order and stops at the page.
    query.where(
      'mv.registered_model_id',
      db('registered_models').where({ name: shape.oneModel }).select('id'),
    );
  }
  whereModelVisible(query, 'rm.name', visibleModels);
  applyModelVersionOrder(query, orderByList(input.order_by), shape);
  const rows: ModelVersionRow[] = await query.offset(offset).limit(maxResults + 1);
  const page = paginate(rows, offset, maxResults);
  const model_versions = modelVersionsToJson(page.items);
  return page.nextPageToken ? { model_versions, next_page_token: page.nextPageToken } : { model_versions };
}
