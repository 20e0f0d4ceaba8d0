import type { operations } from '../../../src/generated/openapi';
import { api, ok } from './client';

/** semreg's lifecycle API (semreg-api.md: history, promotion, policies, signed download links). */

export function listEvents(query: operations['listEvents']['parameters']['query']) {
  return ok(api.GET('/api/events', { params: { query } }));
}

export function modelStateAt(name: string, time: number) {
  return ok(
    api.GET('/api/models/{name}/at', {
      params: { path: { name }, query: { time: new Date(time).toISOString() } },
    }),
  );
}

export interface PromotionTarget {
  stage?: string;
  alias?: string;
}

export function promote(
  name: string,
  target: PromotionTarget & { version: string; expected_current_version?: string },
) {
  return ok(api.POST('/api/models/{name}/promote', { params: { path: { name } }, body: target }));
}

export function rollback(name: string, target: PromotionTarget) {
  return ok(api.POST('/api/models/{name}/rollback', { params: { path: { name } }, body: target }));
}

export function getPolicies() {
  return ok(api.GET('/api/policies'));
}

/** `{path: signed URL}`: links that work without a token, so a plain `<a download>` can fetch them. */
export function downloadUris(name: string, version: string) {
  return ok(
    api.GET('/api/models/{name}/download-uris', { params: { path: { name }, query: { version } } }),
  ) as Promise<Record<string, string>>;
}
