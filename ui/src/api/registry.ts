import { request, segment, type OkBody } from './client';
import type { KeyValue } from './types';

/** MLflow's registry RPCs the UI uses (docs/registry.md); `/ajax-api` would answer the same. */
const BASE = '/api/2.0/mlflow';

export function searchRegisteredModels(query: {
  filter?: string;
  order_by?: string[];
  max_results?: number;
  page_token?: string;
}) {
  return request<OkBody<'searchRegisteredModels'>>('GET', `${BASE}/registered-models/search`, { query });
}

export function getRegisteredModel(name: string) {
  return request<OkBody<'getRegisteredModel'>>('GET', `${BASE}/registered-models/get`, { query: { name } });
}

export function searchModelVersions(query: {
  filter?: string;
  order_by?: string[];
  max_results?: number;
  page_token?: string;
}) {
  return request<OkBody<'searchModelVersions'>>('GET', `${BASE}/model-versions/search`, { query });
}

/** The filter grammar's string literal: single quotes, a quote inside doubled as SQL does. */
export function quoted(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export function getModelVersion(name: string, version: string) {
  return request<OkBody<'getModelVersion'>>('GET', `${BASE}/model-versions/get`, {
    query: { name, version },
  });
}

export function updateModelDescription(name: string, description: string) {
  return request('PATCH', `${BASE}/registered-models/update`, { body: { name, description } });
}

export function setModelTag(name: string, tag: KeyValue) {
  return request('POST', `${BASE}/registered-models/set-tag`, { body: { name, ...tag } });
}

export function deleteModelTag(name: string, key: string) {
  return request('DELETE', `${BASE}/registered-models/delete-tag`, { body: { name, key } });
}

export function updateVersionDescription(name: string, version: string, description: string) {
  return request('PATCH', `${BASE}/model-versions/update`, { body: { name, version, description } });
}

export function setVersionTag(name: string, version: string, tag: KeyValue) {
  return request('POST', `${BASE}/model-versions/set-tag`, { body: { name, version, ...tag } });
}

export function deleteVersionTag(name: string, version: string, key: string) {
  return request('DELETE', `${BASE}/model-versions/delete-tag`, { body: { name, version, key } });
}

/** The files of a version through the web UI download route, for previews (the token goes along). */
export function versionFileUrl(name: string, version: string, path: string): string {
  return `/model-versions/get-artifact?name=${segment(name)}&version=${segment(version)}&path=${segment(path)}`;
}
