import crypto from 'node:crypto';
import { openPage, startUi, type UiHarness } from './browser';
import { seedModel, type SeededModel } from './seed';

describe('UI: experiments, runs, run page and CI job page', () => {
  let h: UiHarness;
  let model: SeededModel;
  beforeAll(async () => {
    h = await startUi();
    model = await seedModel(h.t, 'runs');
  });
  afterAll(() => h?.close());

  it('lists experiments, then the runs with params and latest metrics, filtered with the run grammar', async () => {
    const { page, errors } = await openPage(h);
    await page.goto('/ui/experiments');
    const experiment = page.locator(`a[href="/ui/experiments/${model.experimentId}"]`);
    await experiment.click();
    const row = page.getByRole('row', { name: /training/ });
    await row.waitFor();
    expect(await page.locator('table.runs thead').textContent()).toContain('alpha');
    expect(await row.textContent()).toContain('0.1');
    expect(await row.textContent()).toContain('0.8');
    await page.getByRole('searchbox', { name: 'Filter runs' }).fill('metrics.accuracy > 0.9');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('No run matches this filter.').waitFor();
    await page.goBack();
    await page.getByRole('row', { name: /training/ }).waitFor();
    expect(errors()).toEqual([]);
  });

  it('run page: a uPlot chart of the logged points (steps or time), params, tags and artifacts with previews', async () => {
    const { page, errors } = await openPage(h);
    await page.goto(`/ui/runs/${model.runId}`);
    await page.getByRole('heading', { name: 'training' }).waitFor();
    const chart = page.getByRole('img', { name: 'Chart of accuracy, loss by step' });
    await chart.locator('canvas').waitFor();
    expect(await chart.locator('.u-legend').textContent()).toContain('accuracy');
    expect(await chart.locator('.u-legend').textContent()).toContain('loss');
    await page.getByText('Data points').click();
    const points = await page.locator('table.metric-points tbody tr').allTextContents();
    expect(points).toEqual([
      'accuracy00.5',
      'accuracy10.7',
      'accuracy20.8',
      'loss00.9',
      'loss10.6',
      'loss20.4',
    ]);
    await page.getByRole('combobox', { name: 'X axis' }).selectOption('time');
    await page.getByRole('img', { name: 'Chart of accuracy, loss by time' }).locator('canvas').waitFor();
    await page.getByRole('checkbox', { name: 'loss' }).uncheck();
    await page.getByRole('img', { name: 'Chart of accuracy by time' }).waitFor();

    expect(await page.getByRole('region', { name: 'Parameters' }).textContent()).toContain('alpha0.1');
    expect(await page.getByRole('region', { name: 'Tags' }).textContent()).toContain('teamfraud');

    const artifacts = page.getByRole('region', { name: 'Artifacts' });
    await artifacts.getByRole('button', { name: 'Preview notes.txt' }).click();
    await artifacts.getByText('trained on 2026-12 data').waitFor();
    await artifacts.getByRole('button', { name: 'model/' }).click();
    await artifacts.getByRole('button', { name: 'Preview model/MLmodel' }).click();
    await artifacts.getByText('loader_module: mlflow.sklearn').waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      artifacts.getByRole('button', { name: 'Download notes.txt' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('notes.txt');
    expect(errors()).toEqual([]);
  });

  it('CI job page: the versions, files and runs the job produced, linked', async () => {
    const { page, errors } = await openPage(h);
    await page.goto(`/ui/models/${model.name}/versions/${model.versions['1.2.0']}`);
    await page.getByRole('link', { name: model.jobId }).click();
    await page.getByRole('heading', { name: `CI job ${model.jobId}` }).waitFor();
    await page.getByRole('link', { name: `https://ci.example.com/jobs/${model.jobId}` }).waitFor();
    await page.getByRole('link', { name: `${model.name} v${model.versions['1.2.0']} (1.2.0)` }).waitFor();
    expect(await page.locator('table.files tbody tr').count()).toBe(3);
    // The run was created with the job's X-CI-Job-Id header.
    await page.getByRole('link', { name: model.runId }).click();
    await page.getByRole('heading', { name: 'training' }).waitFor();
    expect(errors()).toEqual([]);
  });

  it('a version registered from a run: its MLflow model files with size and sha256, and a link to the run', async () => {
    const run = await h.t.http.get('/api/2.0/mlflow/runs/get').query({ run_id: model.runId }).expect(200);
    const name = `${model.name}-mlflow`;
    await h.t.http.post('/api/2.0/mlflow/registered-models/create').send({ name }).expect(200);
    const created = await h.t.http
      .post('/api/2.0/mlflow/model-versions/create')
      .send({ name, source: `${run.body.run.info.artifact_uri}/model`, run_id: model.runId })
      .expect(200);
    const { page, errors } = await openPage(h);
    await page.goto(`/ui/models/${name}/versions/${created.body.model_version.version}`);
    const row = page.getByRole('row', { name: /MLmodel/ });
    await row.waitFor();
    await row.getByText(`${model.files.MLmodel.length} B`).waitFor();
    const sha = crypto.createHash('sha256').update(model.files.MLmodel).digest('hex');
    expect(await row.locator('code[title]').getAttribute('title')).toBe(sha);
    await page.getByRole('button', { name: 'Preview MLmodel' }).click();
    await page.getByText('loader_module: mlflow.sklearn').waitFor();
    await page.getByRole('link', { name: model.runId }).click();
    await page.getByRole('heading', { name: 'training' }).waitFor();

    // A model without package uploads: its versions table links the run, with no file column to fill.
    await page.goto(`/ui/models/${name}`);
    const version = page.locator('table.versions tbody tr').first();
    await version.waitFor();
    expect(await version.getByRole('link', { name: model.runId.slice(0, 8) }).getAttribute('href')).toBe(
      `/ui/runs/${model.runId}`,
    );
    expect(errors()).toEqual([]);
  });
});
