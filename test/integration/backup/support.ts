import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { makeDataDir, startServer, ServerProcess } from '../../helpers/server-process';

/**
 * Shared by the backup tests: a registry filled through the public API with one of everything semreg keeps,
 * and the view a client gets of it (every answer, every file's sha256), to compare a restored instance
 * with the original.
 */
export const ADMIN_TOKEN = 'backup-test-admin-token-0123456789';
/** The settings every server of these tests runs with: auth on (tokens are data too), webhooks to loopback. */
export const SERVER_ENV = { AUTH: 'on', ADMIN_TOKEN, WEBHOOK_ALLOW_PRIVATE: 'true' };

export const sha256 = (data: Buffer | string): string =>
  crypto.createHash('sha256').update(data).digest('hex');

export function startRegistry(dataDir = makeDataDir('semreg-backup-')): Promise<ServerProcess> {
  return startServer({ dataDir, env: SERVER_ENV });
}

/** A backup directory's parent that the test owns; the backup itself must not exist yet. */
export function newBackupDir(): string {
  return path.join(makeDataDir('semreg-backup-out-'), 'backup');
}

export class Api {
  constructor(
    readonly url: string,
    readonly token = ADMIN_TOKEN,
  ) {}

  async request(method: string, route: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${this.url}${route}`, {
      method,
      headers: {
        Authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // a plain-text answer stays text
    }
    return { status: res.status, body: parsed };
  }

  /** A call that must succeed; its JSON answer. */
  async ok(method: string, route: string, body?: unknown): Promise<any> {
    const res = await this.request(method, route, body);
    if (res.status >= 300) throw new Error(`${method} ${route} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async put(route: string, data: Buffer | string): Promise<void> {
    const res = await fetch(`${this.url}${route}`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${this.token}`, 'Content-Type': 'application/octet-stream' },
      body: data,
    });
    if (res.status >= 300) throw new Error(`PUT ${route} → ${res.status} ${await res.text()}`);
  }

  async bytes(route: string): Promise<Buffer> {
    const res = await fetch(`${this.url}${route}`, { headers: { Authorization: `Bearer ${this.token}` } });
    if (res.status !== 200) throw new Error(`GET ${route} → ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  }
}

export interface Registry {
  readonly models: string[];
  readonly experimentId: string;
  readonly runIds: string[];
  readonly metricKeys: string[];
  /** Artifact directories (mlflow-artifacts paths) to list recursively. */
  readonly artifactRoots: string[];
  /** Package versions as `<model>/<semver>`. */
  readonly packages: string[];
  /** A read token minted through the API: a restored registry must still accept it. */
  readonly readToken: string;
  readonly webhookId: string;
}

const mv = '/api/2.0/mlflow';
const tags = (record: Record<string, string>) =>
  Object.entries(record).map(([key, value]) => ({ key, value }));

/** Models with semvers, tags, aliases and stages, their events and webhook deliveries, and a deleted model. */
async function fillRegistry(api: Api, suffix: string): Promise<string[]> {
  const churn = `churn-${suffix}`;
  const fraud = `fraud-${suffix}`;
  await api.ok('POST', `${mv}/registered-models/create`, {
    name: churn,
    description: 'predicts churn — ünïcode',
    tags: tags({ team: 'growth' }),
  });
  await api.ok('POST', `${mv}/registered-models/create`, { name: fraud });
  await api.ok('POST', `${mv}/registered-models/create`, { name: `gone-${suffix}` });
  await api.ok('DELETE', `${mv}/registered-models/delete`, { name: `gone-${suffix}` });
  for (const semver of ['1.0.0', '1.1.0-rc.1+build.5', undefined])
    await api.ok('POST', `${mv}/model-versions/create`, {
      name: churn,
      source: 's3://elsewhere/model',
      tags: tags(semver ? { semver, owner: 'ana' } : { owner: 'bo' }),
    });
  await api.ok('POST', `${mv}/registered-models/alias`, { name: churn, alias: 'champion', version: '1' });
  await api.ok('POST', `${mv}/model-versions/transition-stage`, {
    name: churn,
    version: '1',
    stage: 'Production',
    archive_existing_versions: false,
  });
  await api.ok('POST', `${mv}/model-versions/transition-stage`, {
    name: churn,
    version: '3',
    stage: 'Staging',
  });
  await api.ok('POST', `${mv}/model-versions/set-tag`, {
    name: churn,
    version: '2',
    key: 'reviewed',
    value: 'yes',
  });
  await api.ok('POST', `${mv}/registered-models/set-tag`, { name: fraud, key: 'tier', value: '1' });
  await api.ok('PUT', '/api/policies', {
    model: fraud,
    stages: [{ name: 'dev' }, { name: 'prod', capacity: 1, required_tags: { validated: 'true' } }],
    transitions: [{ from: 'None', to: 'dev' }],
  });
  return [churn, fraud, `gone-${suffix}`];
}

async function fillTracking(api: Api, suffix: string) {
  const { experiment_id: experimentId } = await api.ok('POST', `${mv}/experiments/create`, {
    name: `exp-${suffix}`,
    tags: tags({ project: 'backup' }),
  });
  const runIds: string[] = [];
  const artifactRoots: string[] = [];
  for (let r = 0; r < 2; r += 1) {
    const { run } = await api.ok('POST', `${mv}/runs/create`, {
      experiment_id: experimentId,
      run_name: `run-${r}`,
      start_time: 1_700_000_000_000 + r,
      tags: tags({ 'ci.job_id': `job-${r}`, 'mlflow.user': 'ci' }),
    });
    const runId = run.info.run_id as string;
    runIds.push(runId);
    const metrics = [];
    for (let step = 0; step < 20; step += 1)
      metrics.push(
        { key: 'loss', value: 1 / (step + 1), timestamp: 1_700_000_000_000 + step, step },
        { key: 'accuracy', value: step / 20, timestamp: 1_700_000_000_000 + step, step },
      );
    await api.ok('POST', `${mv}/runs/log-batch`, {
      run_id: runId,
      metrics,
      params: [{ key: 'lr', value: '0.01' }],
      tags: [{ key: 'phase', value: 'train' }],
    });
    await api.ok('POST', `${mv}/runs/update`, {
      run_id: runId,
      status: 'FINISHED',
      end_time: 1_700_000_100_000,
    });
    const root = `${experimentId}/${runId}/artifacts`;
    artifactRoots.push(root);
    await api.put(
      `/api/2.0/mlflow-artifacts/artifacts/${root}/model/model.pkl`,
      crypto.randomBytes(300_000 + r),
    );
    await api.put(`/api/2.0/mlflow-artifacts/artifacts/${root}/model/MLmodel`, `flavors: {}\nrun: ${r}\n`);
    await api.put(`/api/2.0/mlflow-artifacts/artifacts/${root}/empty.txt`, '');
  }
  return { experimentId: String(experimentId), runIds, artifactRoots, metricKeys: ['loss', 'accuracy'] };
}

/** Package files (one overwritten by the same bytes, one deleted: the audit trail) and a version to register. */
async function fillPackages(api: Api, model: string): Promise<string[]> {
  await api.put(`/api/packages/${model}/2.0.0/weights.bin`, crypto.randomBytes(50_000));
  await api.put(`/api/packages/${model}/2.0.0/docs/README.md`, '# churn\n');
  await api.put(`/api/packages/${model}/2.0.0/scratch.txt`, 'temporary');
  await api.ok('DELETE', `/api/packages/${model}/2.0.0/scratch.txt`);
  return [`${model}/2.0.0`];
}

/** Fills a running registry with one of everything; names carry `suffix` so two registries never clash. */
export async function fillAll(api: Api, suffix = crypto.randomBytes(3).toString('hex')): Promise<Registry> {
  const { webhook } = await api.ok('POST', `${mv}/webhooks`, {
    name: 'announce',
    url: 'http://127.0.0.1:9/hook',
    events: [{ entity: 'model_version', action: 'created' }],
    secret: 'webhook-secret',
  });
  const models = await fillRegistry(api, suffix);
  const tracking = await fillTracking(api, suffix);
  const packages = await fillPackages(api, models[0]);
  const { token: readToken } = await api.ok('POST', '/api/tokens', {
    scope: 'read',
    description: 'dashboards',
  });
  return { models, ...tracking, packages, readToken, webhookId: webhook.webhook_id };
}

async function listFilesBelow(api: Api, dir: string): Promise<string[]> {
  const { files = [] } = await api.ok(
    'GET',
    `/api/2.0/mlflow-artifacts/artifacts?path=${encodeURIComponent(dir)}`,
  );
  const found: string[] = [];
  for (const file of files as { path: string; is_dir: boolean }[]) {
    const full = `${dir}/${file.path}`;
    if (file.is_dir) found.push(...(await listFilesBelow(api, full)));
    else found.push(full);
  }
  return found;
}

/**
 * What clients see: the answer of every read call over the registry, and the sha256 of every file downloaded
 * through the API. Two registries with equal views are the same to every client.
 */
export async function readView(api: Api, registry: Registry): Promise<Record<string, unknown>> {
  const view: Record<string, unknown> = {};
  const read = async (route: string) => (view[route] = await api.request('GET', route));
  await read(`${mv}/registered-models/search?max_results=100`);
  await read(`${mv}/experiments/search?max_results=100`);
  await read('/api/tokens');
  await read('/api/policies');
  await read(`${mv}/webhooks`);
  await read(`${mv}/webhooks/${registry.webhookId}/deliveries`);
  for (const model of registry.models) {
    const q = encodeURIComponent(model);
    await read(`${mv}/registered-models/get?name=${q}`);
    await read(`${mv}/model-versions/search?filter=${encodeURIComponent(`name='${model}'`)}&max_results=100`);
    await read(`/api/events?model=${q}&max_results=1000`);
    await read(`${mv}/registered-models/alias?name=${q}&alias=champion`);
    for (const version of ['1', '2', '3'])
      await read(`${mv}/model-versions/get?name=${q}&version=${version}`);
    await read(`/api/packages/${q}`);
  }
  for (const runId of registry.runIds) {
    await read(`${mv}/runs/get?run_id=${runId}`);
    for (const key of registry.metricKeys)
      await read(`${mv}/metrics/get-history?run_id=${runId}&metric_key=${key}`);
  }
  for (const pkg of registry.packages) await read(`/api/packages/${pkg}`);
  for (const root of registry.artifactRoots)
    for (const file of await listFilesBelow(api, root))
      view[`file:${file}`] = sha256(await api.bytes(`/api/2.0/mlflow-artifacts/artifacts/${file}`));
  for (const pkg of registry.packages)
    for (const file of ['weights.bin', 'docs/README.md'])
      view[`package:${pkg}/${file}`] = sha256(await api.bytes(`/api/packages/${pkg}/${file}`));
  return view;
}

/** Every file below `dir` (relative paths), for asserting what a backup or a store holds. */
export function filesBelow(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((rel) => fs.statSync(path.join(dir, rel)).isFile())
    .sort();
}
