import { uniqueName } from '../../helpers/mlflow';
import { createTestApp, TestApp } from '../../helpers/test-app';
import { bearer, mintToken } from '../../helpers/tokens';

/**
 * Package files are also reachable through the mlflow-artifacts proxy (that is how a stock MLflow client
 * downloads them). A token restricted to model patterns must not read another model's package there.
 */
describe('AUTH=on: package files through the artifact proxy', () => {
  let t: TestApp;
  let location: string;
  let churnReader: string;
  let fraudReader: string;

  beforeAll(async () => {
    t = await createTestApp({ AUTH: 'on' });
    const admin = await mintToken(t, 'admin');
    churnReader = await mintToken(t, 'read', { models: ['churn-*'] });
    fraudReader = await mintToken(t, 'read', { models: ['fraud-*'] });
    const name = `churn-${uniqueName()}`;
    await t.http
      .put(`/api/packages/${name}/1.0.0/model.bin`)
      .set(bearer(admin))
      .send(Buffer.from('weights'))
      .expect(201);
    const uri = await t.http
      .get('/api/2.0/mlflow/model-versions/get-download-uri')
      .query({ name, version: '1' })
      .set(bearer(admin))
      .expect(200);
    location = String(uri.body.artifact_uri).replace(/^mlflow-artifacts:\//, '');
    expect(location).toMatch(/^packages\/\d+\//);
  });
  afterAll(() => t.close());

  it.each(['/api/2.0/mlflow-artifacts', '/ajax-api/2.0/mlflow-artifacts'])(
    'lets the model’s own readers download and list, and refuses others with 403 (%s)',
    async (prefix) => {
      const own = await t.http
        .get(`${prefix}/artifacts/${location}/model.bin`)
        .set(bearer(churnReader))
        .expect(200);
      expect(own.body.toString()).toBe('weights');
      await t.http.get(`${prefix}/artifacts`).query({ path: location }).set(bearer(churnReader)).expect(200);

      const foreign = await t.http.get(`${prefix}/artifacts/${location}/model.bin`).set(bearer(fraudReader));
      expect(foreign.status).toBe(403);
      expect(foreign.body.error_code).toBe('PERMISSION_DENIED');
      const list = await t.http.get(`${prefix}/artifacts`).query({ path: location }).set(bearer(fraudReader));
      expect(list.status).toBe(403);
    },
  );
});
