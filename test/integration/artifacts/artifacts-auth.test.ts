import { bearer, mintScopeTokens } from '../../helpers/tokens';
import { createTestApp, TestApp } from '../../helpers/test-app';

/**
 * With AUTH=on the artifact proxy needs a token for everything, write scope for uploads, and admin scope for
 * deletes (mlflow-compat.md §7: deleting artifacts needs a stronger permission than EDIT).
 */
const PREFIXES = ['/api/2.0/mlflow-artifacts', '/ajax-api/2.0/mlflow-artifacts'];

let t: TestApp;
let read: string;
let write: string;
let admin: string;

beforeAll(async () => {
  t = await createTestApp({ AUTH: 'on' });
  ({ read, write, admin } = await mintScopeTokens(t));
});
afterAll(async () => t.close());

describe.each(PREFIXES)('%s with AUTH=on', (prefix) => {
  const key = `1/auth${prefix.length}/artifacts/f.txt`;

  it('refuses every call without a token (401) and stores nothing', async () => {
    const put = await t.http.put(`${prefix}/artifacts/${key}`).send('x');
    expect(put.status).toBe(401);
    expect(put.body.error_code).toBe('UNAUTHENTICATED');
    expect((await t.http.get(`${prefix}/artifacts/${key}`)).status).toBe(401);
    expect((await t.http.get(`${prefix}/artifacts`)).status).toBe(401);
    expect(await t.ctx.storage.stat(key)).toBeUndefined();
  });

  it('lets a read token download and list but not upload', async () => {
    expect((await t.http.put(`${prefix}/artifacts/${key}`).set(bearer(write)).send('hello')).status).toBe(
      200,
    );
    const got = await t.http.get(`${prefix}/artifacts/${key}`).set(bearer(read));
    expect(got.status).toBe(200);
    expect(got.text).toBe('hello');
    expect(
      (
        await t.http
          .get(`${prefix}/artifacts`)
          .query({ path: key.replace('/f.txt', '') })
          .set(bearer(read))
      ).body,
    ).toEqual({
      files: [{ path: 'f.txt', is_dir: false, file_size: 5 }],
    });
    const denied = await t.http.put(`${prefix}/artifacts/${key}`).set(bearer(read)).send('overwrite');
    expect(denied.status).toBe(403);
    expect(denied.body.error_code).toBe('PERMISSION_DENIED');
  });

  it('needs an admin token to delete', async () => {
    await t.http.put(`${prefix}/artifacts/${key}`).set(bearer(write)).send('hello').expect(200);
    const denied = await t.http.delete(`${prefix}/artifacts/${key}`).set(bearer(write));
    expect(denied.status).toBe(403);
    expect(await t.ctx.storage.stat(key)).toMatchObject({ size: 5 });
    expect((await t.http.delete(`${prefix}/artifacts/${key}`).set(bearer(admin))).status).toBe(200);
    expect(await t.ctx.storage.stat(key)).toBeUndefined();
  });
});
