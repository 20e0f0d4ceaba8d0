import crypto from 'node:crypto';
import fs from 'node:fs';
import { openPage, startUi, type UiHarness } from './browser';
import { seedModel, type SeededModel } from './seed';

const sha256 = (data: string | Buffer) => crypto.createHash('sha256').update(data).digest('hex');

describe('UI: model, version and history pages', () => {
  let h: UiHarness;
  let model: SeededModel;
  beforeAll(async () => {
    // A webhook receiver on loopback (the webhook test below) is refused unless private addresses are allowed.
    h = await startUi({ WEBHOOK_ALLOW_PRIVATE: 'true' });
    model = await seedModel(h.t, 'pages');
  });
  afterAll(() => h?.close());

  const semverColumn = async (page: import('playwright-core').Page) =>
    page.locator('table.versions tbody tr td:nth-child(2)').allTextContents();

  it('model page: versions in semver precedence order with stage and alias, and back/forward navigation', async () => {
    const { page, errors } = await openPage(h);
    await page.goto('/');
    await page.getByRole('link', { name: model.name }).click();
    await page.getByRole('heading', { name: model.name, level: 1 }).waitFor();
    expect(page.url()).toBe(`${h.url}/ui/models/${model.name}`);
    await page.locator('table.versions tbody tr').first().waitFor();
    expect(await semverColumn(page)).toEqual(['1.3.0-rc.1', '1.2.0', '1.1.0', '1.0.0']);
    const v110 = page.getByRole('row', { name: /1\.1\.0/ });
    expect(await v110.textContent()).toContain('Production');
    const v120 = page.getByRole('row', { name: /1\.2\.0/ });
    expect(await v120.textContent()).toContain('@champion');
    expect(await v120.getByRole('link', { name: model.jobId }).getAttribute('href')).toBe(
      `/ui/ci/jobs/${model.jobId}`,
    );
    expect(await v120.textContent()).toContain('3 files');

    await page
      .locator('table.versions')
      .getByRole('link', { name: `v${model.versions['1.2.0']}`, exact: true })
      .click();
    await page.getByRole('heading', { name: `${model.name} v${model.versions['1.2.0']}` }).waitFor();
    await page.goBack();
    await page.getByRole('heading', { name: model.name, level: 1 }).waitFor();
    await page.goBack();
    await page.getByRole('heading', { name: 'Models', level: 1 }).waitFor();
    await page.goForward();
    await page.getByRole('heading', { name: model.name, level: 1 }).waitFor();
    expect(errors()).toEqual([]);
  });

  it('models page: searches with plain words and with the filter grammar, keeping the search in the URL', async () => {
    const other = await seedModel(h.t, 'other');
    const { page, errors } = await openPage(h);
    await page.goto('/');
    await page.getByRole('searchbox', { name: 'Search' }).fill(model.name.slice(0, 14));
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/\?q=/);
    await page.getByRole('link', { name: model.name }).waitFor();
    expect(await page.getByRole('link', { name: other.name }).count()).toBe(0);
    await page.goto(`/?q=${encodeURIComponent(`name = '${other.name}'`)}`);
    await page.getByRole('link', { name: other.name }).waitFor();
    expect(await page.locator('table.models tbody tr').count()).toBe(1);
    await page.goto(`/?q=${encodeURIComponent('name = ')}`);
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('INVALID_PARAMETER_VALUE');
    expect(errors().filter((e) => !e.startsWith('Failed to load resource'))).toEqual([]);
  });

  it('model page: edits the description and tags (auth off)', async () => {
    const { page, errors } = await openPage(h);
    await page.goto(`/ui/models/${model.name}`);
    await page.getByRole('button', { name: 'Edit description' }).click();
    await page.getByRole('textbox', { name: 'Description' }).fill('Churn classifier');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Description saved.').waitFor();
    await page.getByRole('region', { name: 'Tags' }).getByRole('textbox', { name: 'Key' }).fill('team');
    await page.getByRole('region', { name: 'Tags' }).getByRole('textbox', { name: 'Value' }).fill('fraud');
    await page.getByRole('button', { name: 'Set tag' }).click();
    await page.getByRole('cell', { name: 'fraud' }).waitFor();
    const stored = await h.t.http.get('/api/2.0/mlflow/registered-models/get').query({ name: model.name });
    expect(stored.body.registered_model.description).toBe('Churn classifier');
    expect(stored.body.registered_model.tags).toEqual([{ key: 'team', value: 'fraud' }]);
    expect(errors()).toEqual([]);
  });

  it('version page: files with sha256, a download that matches it, previews and fetch commands', async () => {
    const { page, errors } = await openPage(h);
    const version = model.versions['1.2.0'];
    await page.goto(`/ui/models/${model.name}/versions/${version}`);
    const row = page.getByRole('row', { name: /metrics\.json/ });
    expect(await row.locator('code[title]').getAttribute('title')).toBe(sha256(model.files['metrics.json']));
    await row.getByText(`${model.files['metrics.json'].length} B`).waitFor();

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download metrics.json' }).click(),
    ]);
    expect(sha256(fs.readFileSync((await download.path())!))).toBe(sha256(model.files['metrics.json']));

    await page.getByRole('button', { name: 'Preview MLmodel' }).click();
    await page
      .getByRole('figure', { name: 'Preview of MLmodel' })
      .getByText('loader_module: mlflow.sklearn')
      .waitFor();
    await page.getByRole('button', { name: 'Preview metrics.json' }).click();
    expect(
      await page.getByRole('figure', { name: 'Preview of metrics.json' }).locator('pre').textContent(),
    ).toBe(JSON.stringify({ auc: 0.91, rows: 1200 }, null, 2));
    await page.getByRole('button', { name: 'Preview sample.csv' }).click();
    await page
      .getByRole('figure', { name: 'Preview of sample.csv' })
      .getByRole('cell', { name: '0.75' })
      .waitFor();

    const fetchIt = page.getByRole('region', { name: 'Fetch this version' });
    expect(await fetchIt.textContent()).toContain(`models:/${model.name}/1.2.0`);
    expect(await fetchIt.textContent()).toContain(`semreg get ${model.name}/1.2.0`);
    expect(await fetchIt.textContent()).toContain(`${h.url}/api/packages/${model.name}/1.2.0/`);
    // The immutable semver and the CI record are shown without a delete button; user tags have one.
    expect(await page.getByRole('button', { name: 'Delete tag semver' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Delete tag owner' }).count()).toBe(1);
    expect(errors()).toEqual([]);
  });

  it('promote from the version page, see it in the history, time-travel to the previous holder, roll back', async () => {
    const m = await seedModel(h.t, 'promote');
    const { page, errors } = await openPage(h);
    // MLflow reads a stage's holder as its highest version: v4 (1.3.0-rc.1) takes Production from v3 (1.1.0).
    const v4 = m.versions['1.3.0-rc.1'];
    const v3 = m.versions['1.1.0'];
    const before = Date.now();
    await page.goto(`/ui/models/${m.name}/versions/${v4}`);
    await page.getByText(`Production is held by version ${v3}`).waitFor();
    await page.getByRole('button', { name: `Promote v${v4}` }).click();
    await page.getByText(`Version ${v4} now holds Production.`).waitFor();
    await page.getByText(`Production is held by version ${v4}`).waitFor();

    await page.getByRole('link', { name: 'Model history' }).click();
    await page.getByRole('link', { name: `v${v4} (1.3.0-rc.1) moved from None to Production` }).waitFor();
    const timeline = page.getByRole('list', { name: 'Events, newest first' }).getByRole('listitem');
    expect(await timeline.first().textContent()).toContain(
      `v${v4} (1.3.0-rc.1) moved from None to Production`,
    );
    expect(await timeline.last().textContent()).toContain('Model created');

    await page.goto(`/ui/models/${m.name}/history?at=${before}`);
    const then = page.getByRole('table', { name: /Holders at/ });
    expect(await then.getByRole('row', { name: /Production/ }).textContent()).toContain(`v${v3}`);

    await page.getByRole('button', { name: 'Roll back Production' }).click();
    await page.getByText('Production rolled back to its previous holder.').waitFor();
    await page.getByText(`Production is held by version ${v3}`).waitFor();
    const stage = await h.t.http
      .get('/api/2.0/mlflow/model-versions/get')
      .query({ name: m.name, version: v4 });
    expect(stage.body.model_version.current_stage).not.toBe('Production');
    expect(errors()).toEqual([]);
  });

  it('a long history shows its latest events first and says the oldest are left out', async () => {
    const m = await seedModel(h.t, 'long');
    const { id } = await h.t.db('registered_models').where({ name: m.name }).first('id');
    const start = Date.now();
    // More than the page reads (2,000): written straight into the append-only log, as 2,500 tag edits would be.
    await h.t.db.batchInsert(
      'events',
      Array.from({ length: 2500 }, (_, i) => ({
        type: 'tag.set',
        time: start + i,
        model: m.name,
        registered_model_id: id,
        after: JSON.stringify({ key: `edit-${i}`, value: 'x' }),
      })),
      500,
    );
    const { page, errors } = await openPage(h);
    await page.goto(`/ui/models/${m.name}/history`);
    await page.getByText('Only the latest 2000 events are shown.').waitFor();
    const timeline = page.getByRole('list', { name: 'Events, newest first' }).getByRole('listitem');
    expect(await timeline.first().textContent()).toContain('Tag edit-2499 set');
    expect(await timeline.last().textContent()).toContain('Tag edit-500 set');
    expect(errors()).toEqual([]);
  });

  it('shows a compare-and-set conflict when someone else moved the stage since the page loaded', async () => {
    const m = await seedModel(h.t, 'cas');
    const { page } = await openPage(h, { allowHttpErrors: true });
    await page.goto(`/ui/models/${m.name}/versions/${m.versions['1.0.0']}`);
    await page.getByText(`Production is held by version ${m.versions['1.1.0']}`).waitFor();
    await h.t.http
      .post(`/api/models/${m.name}/promote`)
      .send({ stage: 'Production', semver: '1.3.0-rc.1' })
      .expect(200);
    await page.getByRole('button', { name: /^Promote v/ }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Conflict: it changed since this page loaded');
    expect(await alert.textContent()).toContain(`held by version ${m.versions['1.3.0-rc.1']}`);
  });

  it('shows a stage policy refusal with the rule the server names', async () => {
    const m = await seedModel(h.t, 'policy');
    await h.t.http
      .put('/api/policies')
      .send({
        model: m.name,
        stages: [{ name: 'Staging' }, { name: 'Production' }],
        transitions: [{ from: 'Staging', to: 'Production' }],
      })
      .expect(200);
    const { page } = await openPage(h, { allowHttpErrors: true });
    await page.goto(`/ui/models/${m.name}/versions/${m.versions['1.0.0']}`);
    await page.getByRole('button', { name: /^Promote v/ }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Refused by the stage policy');
  });

  it('history page: webhook deliveries with their status, and redelivery of a dead one', async () => {
    const hook = await h.t.http
      .post('/api/2.0/mlflow/webhooks')
      .send({
        name: 'deploy-hook',
        url: 'http://127.0.0.1:9/semreg',
        events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }],
      })
      .expect(200);
    const m = await seedModel(h.t, 'hooks');
    // The test app runs no webhook worker: one delivery is marked dead as the worker would after its retries.
    await h.t
      .db('webhook_deliveries')
      .where({ webhook_id: hook.body.webhook.webhook_id })
      .update({ status: 'dead', attempts: 5, response_code: 502 });
    const { page, errors } = await openPage(h);
    await page.goto(`/ui/models/${m.name}/history`);
    const section = page.getByRole('region', { name: 'Webhook deliveries' });
    await section.getByText('deploy-hook').click();
    const dead = section.locator('table.deliveries tbody tr').first();
    await dead.waitFor();
    expect(await dead.textContent()).toContain('dead');
    expect(await dead.textContent()).toContain('502');
    await dead.getByRole('button', { name: /^Redeliver/ }).click();
    await section.getByText('Queued for redelivery.').waitFor();
    expect(errors()).toEqual([]);
  });

  it('works on a 390×844 phone screen', async () => {
    const { page, errors } = await openPage(h, { viewport: { width: 390, height: 844 } });
    await page.goto(`/ui/models/${model.name}`);
    await page.locator('table.versions tbody tr').first().waitFor();
    const width = await page.evaluate('document.documentElement.scrollWidth');
    expect(width).toBeLessThanOrEqual(390);
    expect(errors()).toEqual([]);
  });

  it('shows a not-found message for unknown models and UI paths', async () => {
    const { page } = await openPage(h, { allowHttpErrors: true });
    await page.goto('/ui/models/no-such-model');
    expect(await page.getByRole('alert').textContent()).toContain('Not found');
    await page.goto('/ui/nothing/here');
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
  });
});
