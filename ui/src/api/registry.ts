import { api, ok, segment } from './client';
import type { KeyValue } from './types';

/** MLflow's registry RPCs the UI uses (docs/registry.md); `/ajax-api` would answer the same. */

export function searchRegisteredModels(query: {
  filter?: string;
  order_by?: string[];
  max_results?: number;
  page_token?: string;
}) {
  return ok(api.GET('/api/2.0/mlflow/registered-models/search', { params: { query } }));
}

export function getRegisteredModel(name: string) {
  return ok(api.GET('/api/2.0/mlflow/registered-models/get', { params: { query: { name } } }));
}

export function searchModelVersions(query: {
  filter?: string;
  order_by?: string[];
  max_results?: number;
  page_token?: string;
}) {
  return ok(api.GET('/api/2.0/mlflow/model-versions/search', { params: { query } }));
}

/** The filter grammar's string literal: single quotes, a quote inside doubled as SQL does. */
export function quoted(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export function getModelVersion(name: string, version: string) {
  return ok(api.GET('/api/2.0/mlflow/model-versions/get', { params: { query: { name, version } } }));
}

export function updateModelDescription(name: string, description: string) {
  return ok(api.PATCH('/api/2.0/mlflow/registered-models/update', { body: { name, description } }));
}

export function setModelTag(name: string, tag: KeyValue) {
  return ok(api.POST('/api/2.0/mlflow/registered-models/set-tag', { body: { name, ...tag } }));
}

export function deleteModelTag(name: string, key: string) {
  return ok(api.DELETE('/api/2.0/mlflow/registered-models/delete-tag', { body: { name, key } }));
}

export function updateVersionDescription(name: string, version: string, description: string) {
  return ok(api.PATCH('/api/2.0/mlflow/model-versions/update', { body: { name, version, description } }));
}

export function setVersionTag(name: string, version: string, tag: KeyValue) {
  // MLflow requires a version tag's value (an empty one is allowed); a model tag's is optional.
  return ok(
    api.POST('/api/2.0/mlflow/model-versions/set-tag', {
      body: { name, version, key: tag.key, value: tag.value ?? '' },
    }),
  );
}

export function deleteVersionTag(name: string, version: string, key: string) {
  return ok(api.DELETE('/api/2.0/mlflow/model-versions/delete-tag', { body: { name, version, key } }));
}

/** The files of a version through the web UI download route, for previews (the token goes along). */
export function versionFileUrl(name: string, version: string, path: string): string {
  return `/model-versions/get-artifact?name=${segment(name)}&version=${segment(version)}&path=${segment(path)}`;
}
