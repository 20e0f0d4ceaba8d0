import { requestOk } from './json-request';

/** One MLflow REST call (`POST /api/2.0/mlflow/<endpoint>`) as the benchmarks make them; a non-200 throws. */
export async function mlflowPost(base: string, endpoint: string, body: unknown): Promise<any> {
  return requestOk(`${base}/api/2.0/mlflow/${endpoint}`, 'POST', body);
}
