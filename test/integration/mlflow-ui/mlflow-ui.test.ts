import { putArtifacts, uniqueName } from '../../helpers/mlflow';
import { bearer, mintToken } from '../../helpers/tokens';
import { Harness, missing, openPage, startHarness } from './harness';

/**
 * MLflow's own web UI (3.17.2, from the compat venv's wheel) at /mlflow/ against semreg, clicked through in
 * Chromium as a user would: the experiment page, a run's overview, its metric chart, its artifacts (a text
 * file and an image shown inline) and a model version page all show the logged data, and no request the UI
 * makes to semreg fails.
 */
const API = '/api/2.0/mlflow';
// An 8×8 red PNG: the artifact viewer shows images inline.
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000080000000808020000004b6d29dc0000001249444154789c63f8cfc0801561171db4120028ff3fc16eecdf610000000049454e44ae426082',
  'hex',
);

const describeWithBrowser = missing ? describe.skip : describe;
if (missing) it(`needs ${missing}`, () => undefined);

describeWithBrowser("MLflow's web UI at /mlflow/", () => {
  let h: Harness;
  let experimentId: string;
  let experimentName: string;
  let runId: string;
  let modelName: string;

  beforeAll(async () => {
    h = await startHarness();
    const http = h.t.http;
    experimentName = uniqueName('ui-exp');
    // The kind the UI records when a user picks "Model training": its runs table, not the GenAI overview.
    const kind = [{ key: 'mlflow.experimentKind', value: 'custom_model_development' }];
    experimentId = (
      await http.post(`${API}/experiments/create`).send({ name: experimentName, tags: kind }).expect(200)
    ).body.experiment_id;
    const run = await http
      .post(`${API}/runs/create`)
      .send({ experiment_id: experimentId, run_name: 'browser-run', start_time: Date.now() - 60000 })
      .expect(200);
    runId = run.body.run.info.run_id;
    await http
      .post(`${API}/runs/log-batch`)
      .send({
        run_id: runId,
        params: [{ key: 'learning_rate', value: '0.125' }],
        metrics: [0, 1, 2, 3, 4, 5].map((step) => ({
          key: 'val_loss',
          value: 1 / (step + 1),
          step,
          timestamp: Date.now() - 50000 + step,
        })),
      })
      .expect(200);
    await putArtifacts(h.t, run.body.run.info.artifact_uri.replace(/^mlflow-artifacts:\//, ''), {
      'notes.txt': 'hello from the artifact viewer',
      'chart.png': PNG,
      // The version page reads the model's MLmodel through model-versions/get-artifact.
      'model/MLmodel': 'artifact_path: model\nflavors:\n  python_function:\n    loader_module: x\n',
    });
    await http.post(`${API}/runs/update`).send({ run_id: runId, status: 'FINISHED', end_time: Date.now() });
    modelName = uniqueName('ui-model');
    await http.post(`${API}/registered-models/create`).send({ name: modelName }).expect(200);
    await http
      .post(`${API}/model-versions/create`)
      .send({ name: modelName, source: `runs:/${runId}/model`, run_id: runId, description: 'first cut' })
      .expect(200);
  });
  afterAll(() => h?.close());

  it('redirects /mlflow to the page and serves its bundle', async () => {
    const redirect = await h.t.http.get('/mlflow').expect(301);
    expect(redirect.headers.location).toBe('/mlflow/');
    const page = await h.t.http.get('/mlflow/').expect(200);
    expect(page.text).toContain('static-files/static/js/main.');
    const script = /src="(static-files\/static\/js\/main\.[0-9a-f]+\.js)"/.exec(page.text)![1];
    await h.t.http
      .get(`/mlflow/${script}`)
      .expect(200)
      .expect('Content-Type', /javascript/);
    await h.t.http.get('/mlflow/static-files/../../../../etc/passwd').expect((res) => {
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    });
  });

  it('shows the experiment page with the run', async () => {
    const { page, failed } = await openPage(h);
    // The bare experiment URL opens the GenAI overview (traces, not served by semreg); this is its runs tab.
    await page.goto(`${h.url}/mlflow/#/experiments/${experimentId}/runs`);
    await page.getByText('browser-run').first().waitFor({ timeout: 30000 });
    expect(await page.getByText(experimentName).count()).toBeGreaterThan(0);
    expect(failed).toEqual([]);
  });

  it("shows a run's overview with its params and metrics", async () => {
    const { page, failed } = await openPage(h);
    await page.goto(`${h.url}/mlflow/#/experiments/${experimentId}/runs/${runId}`);
    await page.getByText('learning_rate').first().waitFor({ timeout: 30000 });
    await page.getByText('0.125').first().waitFor();
    await page.getByText('val_loss').first().waitFor();
    expect(await page.getByText("Can't load").count()).toBe(0);
    expect(failed).toEqual([]);
  });

  it("draws a run's metric chart", async () => {
    const { page, failed } = await openPage(h);
    await page.goto(`${h.url}/mlflow/#/experiments/${experimentId}/runs/${runId}/model-metrics`);
    await page.getByText('val_loss').first().waitFor({ timeout: 30000 });
    // Plotly draws the line as an SVG path in a .scatterlayer once the sampled history has arrived.
    await page.locator('.scatterlayer path.js-line').first().waitFor({ timeout: 30000 });
    expect(failed).toEqual([]);
  });

  it("previews a run's text and image artifacts", async () => {
    const { page, failed } = await openPage(h);
    await page.goto(`${h.url}/mlflow/#/experiments/${experimentId}/runs/${runId}/artifacts`);
    await page.getByText('notes.txt').first().click({ timeout: 30000 });
    await page.getByText('hello from the artifact viewer').first().waitFor({ timeout: 30000 });
    await page.getByText('chart.png').first().click();
    const image = page.locator('img[src*="chart.png"], img[src^="blob:"], img[src^="data:image"]').first();
    await image.waitFor({ timeout: 30000 });
    await page.waitForFunction(
      (img) => (img as unknown as { naturalWidth: number }).naturalWidth === 8,
      await image.elementHandle(),
    );
    expect(failed).toEqual([]);
  });

  it('shows a model version page', async () => {
    const { page, failed } = await openPage(h);
    await page.goto(`${h.url}/mlflow/#/models/${modelName}/versions/1`);
    await page.getByText('first cut').first().waitFor({ timeout: 30000 });
    expect(await page.getByText(modelName).count()).toBeGreaterThan(0);
    expect(failed).toEqual([]);
  });
});

describeWithBrowser("MLflow's web UI at /mlflow/ with AUTH=on", () => {
  let h: Harness;
  let read: string;
  let runPath: string;

  beforeAll(async () => {
    h = await startHarness({ AUTH: 'on' });
    const admin = bearer(await mintToken(h.t, 'admin'));
    read = await mintToken(h.t, 'read');
    const run = await h.t.http
      .post(`${API}/runs/create`)
      .set(admin)
      .send({ experiment_id: '0', run_name: 'guarded-run', start_time: Date.now() })
      .expect(200);
    await h.t.http
      .post(`${API}/runs/log-parameter`)
      .set(admin)
      .send({ run_id: run.body.run.info.run_id, key: 'depth', value: '7' })
      .expect(200);
    runPath = `#/experiments/0/runs/${run.body.run.info.run_id}`;
  });
  afterAll(() => h?.close());

  it('serves the page to anyone and the data to a read token (the Basic password the browser sends)', async () => {
    await h.t.http.get('/mlflow/').expect(200);
    await h.t.http
      .post('/mlflow/graphql')
      .send({ query: '{ test(inputString: "x") { output } }' })
      .expect(401);
    const { page, failed } = await openPage(h, read);
    await page.goto(`${h.url}/mlflow/${runPath}`);
    await page.getByText('guarded-run').first().waitFor({ timeout: 30000 });
    await page.getByText('depth').first().waitFor();
    expect(failed).toEqual([]);
  });
});
