import type { Page } from 'playwright-core';
import type { SeededModel } from './seed';

/** Every page of the UI, with data from `seedModel`: name, URL, a text the loaded page shows. */
export function everyPage(model: SeededModel): Array<[string, string, string]> {
  return [
    ['models', '/', model.name],
    ['model', `/ui/models/${model.name}`, 'Semver timeline'],
    ['version', `/ui/models/${model.name}/versions/${model.versions['1.2.0']}`, 'metrics.json'],
    ['history', `/ui/models/${model.name}/history?at=${Date.now()}`, 'Model created'],
    ['experiments', '/ui/experiments', 'Default'],
    ['runs', `/ui/experiments/${model.experimentId}`, 'training'],
    ['run', `/ui/runs/${model.runId}`, 'notes.txt'],
    ['ci-job', `/ui/ci/jobs/${model.jobId}`, 'sample.csv'],
    ['tokens', '/ui/tokens', 'Create a token'],
  ];
}

/**
 * Opens `url` and waits until it has settled: `expected` shown, every request answered (rows load their own
 * summaries: highest release, sizes) and no loading state left.
 */
export async function openSettled(page: Page, url: string, expected: string): Promise<void> {
  await page.goto(url);
  await page.getByText(expected, { exact: false }).first().waitFor();
  await page.waitForLoadState('networkidle');
  await page.locator('.loading').first().waitFor({ state: 'detached' });
}
