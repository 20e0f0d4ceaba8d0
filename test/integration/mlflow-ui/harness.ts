import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { CHROMIUM, startUi, type UiHarness } from '../../ui/browser';

/**
 * semreg on a loopback port serving MLflow's web UI from the compat venv's `mlflow` wheel (MLFLOW_UI_DIR), and
 * Debian's Chromium driven by playwright-core (no browser is ever downloaded). Without either, the tests
 * that need them are skipped with the reason outside CI (`npm test` builds the venv first; `apt-get install
 * chromium`).
 */

function findMlflowUi(): string | undefined {
  const lib = path.resolve(__dirname, '..', '..', '..', '.venv-compat', 'lib');
  if (!fs.existsSync(lib)) return undefined;
  return fs
    .readdirSync(lib)
    .map((python) => path.join(lib, python, 'site-packages', 'mlflow', 'server', 'js', 'build'))
    .find((dir) => fs.existsSync(path.join(dir, 'index.html')));
}

export const MLFLOW_UI_DIR = process.env.MLFLOW_UI_DIR ?? findMlflowUi();
export const missing = !MLFLOW_UI_DIR
  ? "MLflow's UI (.venv-compat: `npm test` builds it, or `bash test/compat/run.sh --prepare`)"
  : !fs.existsSync(CHROMIUM)
    ? `Chromium (${CHROMIUM})`
    : undefined;
// `npm test` prepares the venv before jest runs (its pretest), so in CI a missing UI or browser is a failure.
if (missing && process.env.CI) throw new Error(`MLflow's UI tests cannot run: missing ${missing}`);

export type Harness = UiHarness;

/** semreg's browser harness (test/ui/browser.ts), with MLflow's UI served from the venv's wheel. */
export function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  return startUi({ MLFLOW_UI_DIR: MLFLOW_UI_DIR as string, ...env });
}

/**
 * What the UI may find missing: traces and the GenAI pages are not part of semreg (the UI probes them on
 * every page), and `users/current` exists on the reference only with its basic-auth app (404 without it).
 */
const NOT_SERVED_BY_DESIGN = [
  /^\/mlflow\/ajax-api\/3\.0\/mlflow\/traces\//,
  /^\/mlflow\/ajax-api\/2\.0\/mlflow\/users\/current$/,
];

/**
 * A fresh page that remembers which requests of the app failed (status ≥ 400, or a GraphQL answer carrying
 * errors), for the assertions. `token`: sent as the Basic password, as the browser does once asked.
 */
export async function openPage(h: Harness, token?: string): Promise<{ page: Page; failed: string[] }> {
  const context = await h.browser.newContext({
    viewport: { width: 1400, height: 900 },
    httpCredentials: token ? { username: 'browser', password: token } : undefined,
  });
  const page = await context.newPage();
  const failed: string[] = [];
  page.on('response', (response) => {
    const requested = response.url().startsWith(h.url) ? response.url().slice(h.url.length) : undefined;
    if (requested === undefined) return;
    if (response.status() < 400 && requested.startsWith('/mlflow/graphql')) {
      response.json().then(
        (body: { errors?: unknown }) =>
          body.errors && failed.push(`GraphQL errors: ${JSON.stringify(body.errors)}`),
        () => failed.push(`GraphQL answer is not JSON: ${requested}`),
      );
      return;
    }
    if (response.status() < 400) return;
    if (NOT_SERVED_BY_DESIGN.some((pattern) => pattern.test(requested.split('?')[0]))) return;
    failed.push(`${response.status()} ${response.request().method()} ${requested}`);
  });
  return { page, failed };
}
