import { openPage, startUi, type UiHarness } from './browser';
import { seedModel, type SeededModel } from './seed';

describe('UI: models page (/)', () => {
  let h: UiHarness;
  let model: SeededModel;
  beforeAll(async () => {
    h = await startUi();
    model = await seedModel(h.t, 'models-page');
  });
  afterAll(() => h?.close());

  it('lists the model with its highest release, stage and alias holders and last CI job', async () => {
    const { page, errors } = await openPage(h);
    await page.goto('/');
    const row = page.getByRole('row', { name: new RegExp(model.name) });
    await expect(row.getByRole('link', { name: '1.2.0' }).textContent()).resolves.toBe('1.2.0');
    await expect(row.textContent()).resolves.toContain('Production');
    await expect(row.textContent()).resolves.toContain('@champion');
    await expect(row.getByRole('link', { name: model.jobId }).getAttribute('href')).resolves.toBe(
      `/ui/ci/jobs/${model.jobId}`,
    );
    expect(errors()).toEqual([]);
  });

  it('is keyboard-friendly: "/" focuses the search, Enter searches, Enter on a result opens it', async () => {
    const { page, errors } = await openPage(h);
    await page.goto('/');
    await page.getByRole('link', { name: model.name }).waitFor();
    await page.keyboard.press('/');
    await page.keyboard.type(model.name);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\?q=/);
    await page.locator('table.models tbody tr').first().waitFor();
    expect(await page.locator('table.models tbody tr').count()).toBe(1);
    const link = page.getByRole('link', { name: model.name });
    await link.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: model.name, level: 1 }).waitFor();
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('content');
    expect(errors()).toEqual([]);
  });

  it('pages through the models with the API page tokens, and back returns to the first page', async () => {
    const prefix = `pg-${Date.now()}`;
    for (let i = 0; i < 55; i += 1)
      await h.t.http
        .post('/api/2.0/mlflow/registered-models/create')
        .send({ name: `${prefix}-${String(i).padStart(2, '0')}` })
        .expect(200);
    const { page, errors } = await openPage(h);
    await page.goto(`/?q=${prefix}`);
    await page.getByRole('link', { name: `${prefix}-00` }).waitFor();
    expect(await page.locator('table.models tbody tr').count()).toBe(50);
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByRole('link', { name: `${prefix}-54` }).waitFor();
    expect(await page.locator('table.models tbody tr').count()).toBe(5);
    expect(page.url()).toContain('page=');
    await page.goBack();
    await page.getByRole('link', { name: `${prefix}-00` }).waitFor();
    expect(errors()).toEqual([]);
  });

  it('shows an empty state with how to publish when nothing matches', async () => {
    const { page } = await openPage(h);
    await page.goto('/?q=no-model-has-this-name');
    await page.getByText('No model matches this search.').waitFor();
  });
});
