import { createTestApp, TestApp } from '../helpers/test-app';
import { MLFLOW_PREFIXES, uniqueName } from '../helpers/mlflow';
import { expectMlflowError } from './support';

/**
 * DNS rebinding (foreign `Host`) and cross-site writes (foreign `Origin`) → 403 unless allow-listed
 * (issue 6 item 5, mlflow-compat.md §7). The write must not happen: we look the model up afterwards.
 */
describe('Host and Origin guard', () => {
  let t: TestApp;
  let allowed: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
    allowed = await createTestApp({
      ALLOWED_HOSTS: 'registry.example.com,*.corp.example',
      ALLOWED_ORIGINS: 'https://ui.example.com',
      PUBLIC_URL: 'https://semreg.example.org/',
    });
  });
  afterAll(async () => {
    await t.close();
    await allowed.close();
  });

  async function modelExists(app: TestApp, name: string): Promise<boolean> {
    const row = await app.db('registered_models').where({ name }).first();
    return row !== undefined;
  }

  describe.each(MLFLOW_PREFIXES)('%s', (prefix) => {
    it.each([
      'evil.example.com',
      'evil.example.com:5000',
      'attacker.localhost.evil.com',
      '10.0.0.5:5000',
      '[fe80::1]:80',
      'a b',
      '127.0.0.1.nip.io',
    ])('refuses Host %p on reads and writes', async (host) => {
      const name = uniqueName('rebind');
      const write = await t.http.post(`${prefix}/registered-models/create`).set('Host', host).send({ name });
      expectMlflowError(write, 403, 'PERMISSION_DENIED');
      expect(await modelExists(t, name)).toBe(false);
      const read = await t.http.get(`${prefix}/registered-models/search`).set('Host', host);
      expectMlflowError(read, 403, 'PERMISSION_DENIED');
    });

    it.each([
      'localhost',
      'localhost:5000',
      '127.0.0.1',
      '127.0.0.1:1',
      '127.5.6.7:80',
      '[::1]:5000',
      'LOCALHOST:9',
      'app.localhost',
    ])('accepts loopback Host %p', async (host) => {
      const res = await t.http
        .post(`${prefix}/registered-models/create`)
        .set('Host', host)
        .send({ name: uniqueName('lo') });
      expect(res.status).toBe(200);
    });

    it.each(['https://evil.example.com', 'null', 'http://127.0.0.1.evil.com', 'http://localhost:1'])(
      'refuses a cross-origin write from %p',
      async (origin) => {
        const name = uniqueName('csrf');
        const res = await t.http
          .post(`${prefix}/registered-models/create`)
          .set('Origin', origin)
          .send({ name });
        expectMlflowError(res, 403, 'PERMISSION_DENIED');
        expect(await modelExists(t, name)).toBe(false);
        const del = await t.http
          .delete(`${prefix}/registered-models/delete`)
          .set('Origin', origin)
          .send({ name });
        expectMlflowError(del, 403, 'PERMISSION_DENIED');
      },
    );

    it('lets a cross-origin read through (GET changes nothing) and a same-origin write', async () => {
      const read = await t.http
        .get(`${prefix}/registered-models/search`)
        .set('Origin', 'https://evil.example.com');
      expect(read.status).toBe(200);
      const same = await t.http
        .post(`${prefix}/registered-models/create`)
        .set('Host', 'localhost:5000')
        .set('Origin', 'http://localhost:5000')
        .send({ name: uniqueName('same') });
      expect(same.status).toBe(200);
    });

    it('accepts hosts and origins from ALLOWED_HOSTS / ALLOWED_ORIGINS / PUBLIC_URL', async () => {
      for (const host of [
        'registry.example.com',
        'registry.example.com:8443',
        'ci.corp.example',
        'semreg.example.org',
      ]) {
        const res = await allowed.http.get(`${prefix}/registered-models/search`).set('Host', host);
        expect({ host, status: res.status }).toEqual({ host, status: 200 });
      }
      for (const origin of ['https://ui.example.com', 'https://semreg.example.org']) {
        const res = await allowed.http
          .post(`${prefix}/registered-models/create`)
          .set('Origin', origin)
          .send({ name: uniqueName('ok') });
        expect({ origin, status: res.status }).toEqual({ origin, status: 200 });
      }
      const foreign = await allowed.http
        .get(`${prefix}/registered-models/search`)
        .set('Host', 'corp.example.evil.com');
      expectMlflowError(foreign, 403, 'PERMISSION_DENIED');
    });
  });

  it('keeps /health open to probes that send the pod IP as Host', async () => {
    const res = await t.http.get('/health').set('Host', '10.1.2.3:5000');
    expect(res.status).toBe(200);
  });

  it('never reflects a hostile Host verbatim', async () => {
    const res = await t.http
      .get('/api/2.0/mlflow/registered-models/search')
      .set('Host', '<script>alert(1)</script>');
    expectMlflowError(res, 403, 'PERMISSION_DENIED');
    expect(res.text).not.toContain('<script>');
  });
});
