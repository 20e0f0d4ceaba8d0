import { mintScopeTokens } from '../helpers/tokens';
import { openPage, startUi, type UiHarness } from './browser';
import { seedModel, type SeededModel } from './seed';

/** AUTH=on: the UI asks for a token, keeps it for the tab, and says clearly what a read token cannot do. */
describe('UI with AUTH=on', () => {
  let h: UiHarness;
  let model: SeededModel;
  let tokens: { read: string; write: string; admin: string };
  beforeAll(async () => {
    h = await startUi({ AUTH: 'on' });
    tokens = await mintScopeTokens(h.t);
    // Seeded through the API with an admin token, as a CI job would with its own.
    const http = h.t.http;
    const withToken = new Proxy(http, {
      get(target, method: string) {
        const original = (target as any)[method];
        if (typeof original !== 'function') return original;
        return (...args: unknown[]) =>
          original.apply(target, args).set('Authorization', `Bearer ${tokens.admin}`);
      },
    });
    model = await seedModel({ ...h.t, http: withToken } as typeof h.t, 'auth');
  });
  afterAll(() => h?.close());

  it('asks for a token, then shows the models; the token stays for the tab only', async () => {
    const { page, context, errors } = await openPage(h, { allowHttpErrors: true });
    await page.goto('/');
    await page.getByRole('form', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Token').fill(tokens.read);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: model.name }).waitFor();
    await page.getByRole('link', { name: model.name }).click();
    await page.locator('table.versions tbody tr').first().waitFor();
    expect(await page.evaluate('sessionStorage.getItem("semreg.token")')).toBe(tokens.read);
    expect((await context.cookies()).length).toBe(0);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('form', { name: 'Sign in' }).waitFor();
    expect(errors()).toEqual([]);
  });

  it('refuses edits and promotion with a read token, with a clear message', async () => {
    const { page, errors } = await openPage(h, { token: tokens.read, allowHttpErrors: true });
    await page.goto(`/ui/models/${model.name}/versions/${model.versions['1.2.0']}`);
    await page.getByRole('region', { name: 'Tags' }).getByRole('textbox', { name: 'Key' }).fill('reviewed');
    await page.getByRole('button', { name: 'Set tag' }).click();
    const tagAlert = page.getByRole('region', { name: 'Tags' }).getByRole('alert');
    await tagAlert.waitFor();
    expect(await tagAlert.textContent()).toContain("This token can't edit tags");

    await page.getByRole('button', { name: /^Promote v/ }).click();
    const promoteAlert = page.getByRole('region', { name: 'Promote or roll back' }).getByRole('alert');
    await promoteAlert.waitFor();
    expect(await promoteAlert.textContent()).toContain("This token can't change Production");
    const stage = await h.t.http
      .get('/api/2.0/mlflow/model-versions/get')
      .set('Authorization', `Bearer ${tokens.read}`)
      .query({ name: model.name, version: model.versions['1.2.0'] });
    expect(stage.body.model_version.current_stage).toBe('None');
    expect(errors()).toEqual([]);
  });

  it('lets a write token edit tags', async () => {
    // Stage policies are admin-only (403 for this token, logged by Chromium); the page falls back to MLflow's stages.
    const { page, errors } = await openPage(h, { token: tokens.write, allowHttpErrors: true });
    await page.goto(`/ui/models/${model.name}/versions/${model.versions['1.2.0']}`);
    await page.getByRole('region', { name: 'Tags' }).getByRole('textbox', { name: 'Key' }).fill('reviewed');
    await page.getByRole('region', { name: 'Tags' }).getByRole('textbox', { name: 'Value' }).fill('yes');
    await page.getByRole('button', { name: 'Set tag' }).click();
    await page.getByText('Tag reviewed saved.').waitFor();
    await page.getByRole('cell', { name: 'reviewed', exact: true }).waitFor();
    expect(errors()).toEqual([]);
  });

  it('treats an unknown token as signed out', async () => {
    const { page } = await openPage(h, { token: 'not-a-token', allowHttpErrors: true });
    await page.goto('/');
    await page.getByRole('form', { name: 'Sign in' }).waitFor();
    expect(await page.getByRole('form', { name: 'Sign in' }).textContent()).toContain('not valid');
  });

  it('tokens page: an admin creates a token (secret shown once), it works, and revoking it refuses it', async () => {
    const { page, errors } = await openPage(h, { token: tokens.admin });
    page.on('dialog', (dialog) => dialog.accept());
    await page.goto('/ui/tokens');
    await page.locator('table.tokens tbody tr').first().waitFor();
    await page.getByRole('combobox', { name: 'Scope' }).selectOption('write');
    await page.getByRole('textbox', { name: 'Models (patterns, optional)' }).fill('churn-*');
    await page.getByRole('textbox', { name: 'Description' }).fill('ui test');
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = await page.locator('.secret code').textContent();
    expect(secret).toBeTruthy();
    const row = page.getByRole('row', { name: /ui test/ });
    await row.waitFor();
    expect(await row.textContent()).toContain('churn-*');
    const withNew = () =>
      h.t.http.get('/api/2.0/mlflow/registered-models/search').set('Authorization', `Bearer ${secret}`);
    expect((await withNew()).status).toBe(200);

    await row.getByRole('button', { name: /^Revoke token/ }).click();
    await page.getByText(/Token .* revoked\./).waitFor();
    expect((await withNew()).status).toBe(401);
    expect(errors()).toEqual([]);
  });

  it('tokens page: a read token is told it cannot list tokens', async () => {
    const { page } = await openPage(h, { token: tokens.read, allowHttpErrors: true });
    await page.goto('/ui/tokens');
    const alert = page.getByRole('region', { name: 'Tokens' }).getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain("This token can't read tokens");
  });
});
