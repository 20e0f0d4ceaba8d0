import type { TestApp } from '../../helpers/test-app';
import { uniqueName } from '../../helpers/mlflow';

/** Small builders for tracking tests; each test creates its own uniquely named data. */
export const API = '/api/2.0/mlflow';

export async function createExperiment(t: TestApp, name = uniqueName('exp')): Promise<string> {
  const res = await t.http.post(`${API}/experiments/create`).send({ name });
  if (res.status !== 200)
    throw new Error(`create experiment failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.experiment_id;
}

export async function createRun(
  t: TestApp,
  experimentId: string,
  extra: Record<string, unknown> = {},
): Promise<Record<string, any>> {
  const res = await t.http
    .post(`${API}/runs/create`)
    .send({ experiment_id: experimentId, start_time: Date.now(), ...extra });
  if (res.status !== 200) throw new Error(`create run failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.run;
}

export async function getRun(t: TestApp, runId: string): Promise<Record<string, any>> {
  const res = await t.http.get(`${API}/runs/get`).query({ run_id: runId, run_uuid: runId }).expect(200);
  return res.body.run;
}

/** Logs a batch (metrics/params/tags) to a run through /runs/log-batch and insists it was accepted. */
export async function logBatch(
  t: TestApp,
  runId: string,
  batch: { metrics?: unknown[]; params?: unknown[]; tags?: unknown[] },
): Promise<void> {
  await t.http
    .post(`${API}/runs/log-batch`)
    .send({ run_id: runId, ...batch })
    .expect(200);
}
