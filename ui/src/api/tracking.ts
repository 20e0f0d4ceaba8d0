import { api, ok } from './client';

export function searchExperiments(query: { filter?: string; max_results?: number; page_token?: string }) {
  // The GET form's query parameters are strings on the wire, as the schema declares them.
  const { max_results, ...rest } = query;
  return ok(
    api.GET('/api/2.0/mlflow/experiments/search', {
      params: {
        query: { ...rest, max_results: max_results === undefined ? undefined : String(max_results) },
      },
    }),
  );
}

export function getExperiment(experimentId: string) {
  return ok(
    api.GET('/api/2.0/mlflow/experiments/get', { params: { query: { experiment_id: experimentId } } }),
  );
}

export function searchRuns(body: {
  experiment_ids: string[];
  filter?: string;
  order_by?: string[];
  max_results?: number;
  page_token?: string;
}) {
  return ok(api.POST('/api/2.0/mlflow/runs/search', { body }));
}

export function getRun(runId: string) {
  return ok(api.GET('/api/2.0/mlflow/runs/get', { params: { query: { run_id: runId } } }));
}

export function getMetricHistory(runId: string, metricKey: string) {
  return ok(
    api.GET('/api/2.0/mlflow/metrics/get-history', {
      params: { query: { run_id: runId, metric_key: metricKey, max_results: '25000' } },
    }),
  );
}

export function listRunArtifacts(runId: string, path?: string) {
  return ok(api.GET('/api/2.0/mlflow/artifacts/list', { params: { query: { run_id: runId, path } } }));
}

/** The web UI download route for run artifacts (mlflow-compat.md §3.10), for previews and downloads. */
export function runArtifactUrl(runId: string, path: string): string {
  return `/get-artifact?run_uuid=${encodeURIComponent(runId)}&path=${encodeURIComponent(path)}`;
}
