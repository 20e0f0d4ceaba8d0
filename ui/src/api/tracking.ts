import { request, type OkBody } from './client';

const BASE = '/api/2.0/mlflow';

export function searchExperiments(query: { filter?: string; max_results?: number; page_token?: string }) {
  return request<OkBody<'searchExperimentsByGet'>>('GET', `${BASE}/experiments/search`, { query });
}

export function getExperiment(experimentId: string) {
  return request<OkBody<'getExperiment'>>('GET', `${BASE}/experiments/get`, {
    query: { experiment_id: experimentId },
  });
}

export function searchRuns(body: {
  experiment_ids: string[];
  filter?: string;
  order_by?: string[];
  max_results?: number;
  page_token?: string;
}) {
  return request<OkBody<'searchRuns'>>('POST', `${BASE}/runs/search`, { body });
}

export function getRun(runId: string) {
  return request<OkBody<'getRun'>>('GET', `${BASE}/runs/get`, { query: { run_id: runId } });
}

export function getMetricHistory(runId: string, metricKey: string) {
  return request<OkBody<'getMetricHistory'>>('GET', `${BASE}/metrics/get-history`, {
    query: { run_id: runId, metric_key: metricKey, max_results: 25000 },
  });
}

export function listRunArtifacts(runId: string, path?: string) {
  return request<OkBody<'listArtifacts'>>('GET', `${BASE}/artifacts/list`, {
    query: { run_id: runId, path },
  });
}

/** The web UI download route for run artifacts (mlflow-compat.md §3.10), for previews and downloads. */
export function runArtifactUrl(runId: string, path: string): string {
  return `/get-artifact?run_uuid=${encodeURIComponent(runId)}&path=${encodeURIComponent(path)}`;
}
