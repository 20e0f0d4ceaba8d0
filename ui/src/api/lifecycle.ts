import { request, segment, type OkBody } from './client';

/** semreg's lifecycle API (semreg-api.md: history, promotion, policies, signed download links). */

export function listEvents(query: {
  model?: string;
  since?: string;
  max_results?: number;
  page_token?: string;
}) {
  return request<OkBody<'listEvents'>>('GET', '/api/events', { query });
}

export function modelStateAt(name: string, time: number) {
  return request<OkBody<'getModelStateAt'>>('GET', `/api/models/${segment(name)}/at`, {
    query: { time: new Date(time).toISOString() },
  });
}

export interface PromotionTarget {
  stage?: string;
  alias?: string;
}

export function promote(
  name: string,
  target: PromotionTarget & { version: string; expected_current_version?: string },
) {
  return request<OkBody<'promoteModelVersion'>>('POST', `/api/models/${segment(name)}/promote`, {
    body: target,
  });
}

export function rollback(name: string, target: PromotionTarget) {
  return request<OkBody<'rollbackModelVersion'>>('POST', `/api/models/${segment(name)}/rollback`, {
    body: target,
  });
}

export function getPolicies() {
  return request<OkBody<'getStagePolicies'>>('GET', '/api/policies');
}

/** `{path: signed URL}`: links that work without a token, so a plain `<a download>` can fetch them. */
export function downloadUris(name: string, version: string) {
  return request<Record<string, string>>('GET', `/api/models/${segment(name)}/download-uris`, {
    query: { version },
  });
}
