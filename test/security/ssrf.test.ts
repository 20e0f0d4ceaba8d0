import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestApp, TestApp } from '../helpers/test-app';
import { MLFLOW_PREFIXES, uniqueName } from '../helpers/mlflow';
import { expectMlflowError } from './support';

/**
 * Issue 6 item 4: the server never fetches a user-supplied URL except through `guardedFetch`, which refuses
 * loopback, link-local, private ranges and redirects. A real listener on 127.0.0.1 stands in for an internal
 * service; every URL-carrying input is aimed at it and the listener must never see a connection.
 */
let t: TestApp;
let listener: http.Server;
let hits = 0;
let port: number;

beforeAll(async () => {
  t = await createTestApp();
  listener = http.createServer((_req, res) => {
    res.writeHead(302, { Location: 'http://169.254.169.254/latest/meta-data/' }).end();
  });
  listener.on('connection', () => (hits += 1));
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  port = (listener.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => listener.close(resolve));
  await t.close();
});

function internalUrls(): string[] {
  return [
    `http://127.0.0.1:${port}/`,
    `http://localhost:${port}/hook`,
    `http://[::1]:${port}/`,
    `http://[::ffff:127.0.0.1]:${port}/`,
    `http://2130706433:${port}/`,
    `http://0x7f000001:${port}/`,
    `http://127.1:${port}/`,
    `http://0.0.0.0:${port}/`,
    'http://169.254.169.254/latest/meta-data/',
    'http://[fd00::1]/',
    'http://10.0.0.1/',
    'http://192.168.0.1/',
    `http://user:pass@127.0.0.1:${port}/`,
  ];
}

describe.each(MLFLOW_PREFIXES)('%s', (prefix) => {
  it('never fetches a model-version source URL', async () => {
    const name = uniqueName('ssrf');
    await t.http.post(`${prefix}/registered-models/create`).send({ name }).expect(200);
    for (const source of internalUrls()) {
      const res = await t.http.post(`${prefix}/model-versions/create`).send({ name, source });
      expectMlflowError(res, 400, 'INVALID_PARAMETER_VALUE');
    }
    expect(hits).toBe(0);
  });

  it('never fetches an experiment artifact_location', async () => {
    for (const location of internalUrls()) {
      const res = await t.http
        .post(`${prefix}/experiments/create`)
        .send({ name: uniqueName('ssrf-exp'), artifact_location: location });
      expectMlflowError(res, 400, 'INVALID_PARAMETER_VALUE');
    }
    expect(hits).toBe(0);
  });

  it('refuses internal webhook targets, or never connects to them when tested', async () => {
    for (const url of internalUrls()) {
      const created = await t.http.post(`${prefix}/webhooks`).send({
        name: `hook-${Math.random().toString(36).slice(2, 8)}`,
        url,
        events: [{ entity: 'model_version', action: 'created' }],
      });
      if (created.status === 200) {
        const tested = await t.http
          .post(`${prefix}/webhooks/${created.body.webhook.webhook_id}/test`)
          .send({});
        expect(tested.status).toBeLessThan(500);
        if (tested.status === 200)
          expect(tested.body.webhook_test_result?.success ?? tested.body.success).toBe(false);
      } else {
        expectMlflowError(created, 400, 'INVALID_PARAMETER_VALUE');
      }
    }
    expect(hits).toBe(0);
  });
});
