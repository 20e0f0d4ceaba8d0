import http from 'node:http';
import supertest from 'supertest';
import { answerClientErrorsWithJson } from '../../src/http/client-errors';
import { loadOpenApiDocument } from '../../src/openapi';
import { createTestApp, TestApp } from '../helpers/test-app';
import { expectMlflowError } from './support';

/**
 * Hostile bodies and headers against EVERY operation of the OpenAPI document (so the sweep grows with each
 * endpoint that lands), under `/api/2.0` and the `/ajax-api/2.0` mirror (issue 6 items 5 and 7,
 * mlflow-compat.md §1.3, §1.6, §7). Each case must end in a JSON 4xx — never a 5xx, HTML or a silent 200.
 */
interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  operationId: string;
  jsonBody: boolean;
  requiredFields: string[];
}

const SAMPLE_PATH_VALUES: Record<string, string> = {
  model_id: 'm-0123456789abcdef0123456789abcdef',
  model: 'sweep-model',
  selector: '1.0.0',
  semver: '1.0.0',
  path: 'file.txt',
  tag_key: 'k',
  token_id: '1',
  job_id: '1',
  project_id: '1',
  webhook_id: '1',
};

function concretePath(template: string): string {
  return template.replace(/\{([^}]+)\}/g, (_m, name: string) =>
    encodeURIComponent(SAMPLE_PATH_VALUES[name] ?? 'x'),
  );
}

function operations(): Operation[] {
  const doc = loadOpenApiDocument();
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method) || !op?.operationId) continue;
      const content = op.requestBody?.content ?? {};
      const schema = content['application/json']?.schema as
        { required?: string[]; $ref?: string } | undefined;
      let required = schema?.required ?? [];
      if (schema?.$ref) {
        const name = schema.$ref.split('/').pop()!;
        const components =
          (doc.components as { schemas?: Record<string, { required?: string[] }> })?.schemas ?? {};
        required = components[name]?.required ?? [];
      }
      ops.push({
        method: method as Operation['method'],
        path: concretePath(path),
        operationId: op.operationId,
        jsonBody:
          Object.keys(content).length === 0
            ? method !== 'get'
            : Object.keys(content).every((type) => type === 'application/json'),
        requiredFields: required,
      });
    }
  }
  return ops;
}

const ALL = operations();
const JSON_WRITES = ALL.filter((op) => op.method !== 'get' && op.jsonBody);
const READS = ALL.filter((op) => op.method === 'get');
const name = (op: Operation): string => `${op.method.toUpperCase()} ${op.path}`;

let t: TestApp;
/** The app behind a real listening server set up as main.ts does, for cases the HTTP parser decides. */
let server: http.Server;
let real: ReturnType<typeof supertest>;
/** Operations of the document that no router serves yet answer 404 ENDPOINT_NOT_FOUND to everything. */
const unserved = new Set<string>();
beforeAll(async () => {
  t = await createTestApp();
  server = http.createServer(t.app);
  answerClientErrorsWithJson(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  real = supertest(server);
  for (const op of ALL) {
    const res = await t.http[op.method](op.path)
      .set('Content-Type', 'application/json')
      .send(op.method === 'get' ? undefined : '{}');
    if (res.status === 404 && res.body.error_code === 'ENDPOINT_NOT_FOUND') unserved.add(name(op));
  }
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await t.close();
});

/** The expected refusal, or the JSON 404 of a documented route that is not mounted yet. */
function expectRefused(
  op: Operation,
  res: supertest.Response,
  status: number | '4xx',
  codes?: readonly string[],
): void {
  if (unserved.has(name(op))) expectMlflowError(res, '4xx');
  else expectMlflowError(res, status, codes);
}

it('the sweep covers the whole document, both MLflow prefixes included', () => {
  expect(ALL.length).toBeGreaterThanOrEqual(20);
  expect(JSON_WRITES.some((op) => op.path.startsWith('/ajax-api/2.0/mlflow/'))).toBe(true);
  expect(JSON_WRITES.some((op) => op.path.startsWith('/api/2.0/mlflow/'))).toBe(true);
});

describe.each(JSON_WRITES.map((op) => [name(op), op] as const))('%s', (_label, op) => {
  const send = (contentType: string | undefined, body: string) => {
    const req = t.http[op.method](op.path);
    if (contentType !== undefined) req.set('Content-Type', contentType);
    return req.send(body);
  };

  it.each([
    ['text/plain', '{"name":"x"}'],
    ['application/x-www-form-urlencoded', 'name=x&source=file%3A%2F%2F%2Fetc'],
    [
      'multipart/form-data; boundary=zz',
      '--zz\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n--zz--\r\n',
    ],
    ['<script>alert(1)</script>', '{"name":"x"}'],
    ['application/json-evil', '{"name":"x"}'],
    ['text/html; charset=<img src=x onerror=alert(1)>', '{"name":"x"}'],
  ])('refuses Content-Type %p (CSRF through non-JSON bodies)', async (contentType, body) => {
    expectRefused(op, await send(contentType, body), 400, ['INVALID_PARAMETER_VALUE', 'BAD_REQUEST']);
  });

  it('refuses a body with no Content-Type', async () => {
    const res = await t.http[op.method](op.path).set('Content-Type', '').send(Buffer.from('{"name":"x"}'));
    expectRefused(op, res, 400);
  });

  it.each([
    ['malformed JSON', '{"name": '],
    ['a JSON array', '[{"name":"x"}]'],
    ['a JSON string', '"x"'],
    ['JSON with a BOM and garbage', '\ufeff{]'],
    ['deeply nested JSON (100,000 levels)', `{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`],
    ['deeply nested objects (20,000 levels)', `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`],
  ])('refuses %s with a JSON 4xx', async (_what, body) => {
    expectRefused(op, await send('application/json', body), '4xx');
  });

  // Only operations with required fields have a field to inflate; the others get no such case at all.
  if (op.requiredFields.length) {
    it('refuses a 10 MB string in its required fields', async () => {
      const huge = 'x'.repeat(10 * 1024 * 1024);
      const body = JSON.stringify(Object.fromEntries(op.requiredFields.map((field) => [field, huge])));
      expectRefused(op, await send('application/json', body), '4xx');
    });
  }
});

/** mpu/* and presigned/* decline with 501 on purpose: MLflow's client falls back only on that (compat §2.3). */
const DECLINES_BY_DESIGN = /mlflow-artifacts\/(mpu|presigned)\//;

/** No 5xx (bar the designed 501 decline); an error is MLflow JSON; a 200 may be bytes or text (/health). */
function expectNoServerError(op: Operation, res: supertest.Response): void {
  if (res.status === 501 && DECLINES_BY_DESIGN.test(op.path))
    return expectMlflowError(res, 501, 'NOT_IMPLEMENTED');
  const text = (res.text ?? '').slice(0, 200);
  expect({ status: res.status < 500, text }).toEqual({ status: true, text });
  if (res.status >= 400) expectMlflowError(res, '4xx');
}

describe.each(READS.map((op) => [name(op), op] as const))('%s', (_label, op) => {
  it('answers 10,000 query parameters with a JSON 431 from the real server', async () => {
    const flood = await real.get(
      `${op.path}?${Array.from({ length: 10_000 }, (_v, i) => `k${i}=1`).join('&')}`,
    );
    expectMlflowError(flood, 431, 'INVALID_PARAMETER_VALUE');
  });

  it('never answers 5xx to 900 repeats of one key or 900 unknown keys (under the header limit)', async () => {
    for (const query of [
      'max_results=1&'.repeat(900),
      Array.from({ length: 900 }, (_v, i) => `k${i}=1`).join('&'),
    ]) {
      expectNoServerError(op, await real.get(`${op.path}?${query}`));
    }
  });

  it.each([
    ['max_results', '99999999999999999999'],
    ['max_results', '-1'],
    ['max_results', '1e3'],
    ['page_token', '%00%ff'],
    ['filter', "name = 'x' OR 1=1; DROP TABLE registered_models; --"],
    ['order_by', 'name; DELETE'],
  ])('never answers 5xx for %s=%p', async (key, value) => {
    expectNoServerError(op, await t.http.get(`${op.path}?${key}=${encodeURIComponent(value)}`));
  });
});

describe('routing variants never reach a handler', () => {
  const variants = (path: string): string[] => [
    path.toUpperCase(),
    path.replace('api/', 'API/'),
    `${path}/`,
    path.replace('/2.0/', '//2.0/'),
    `/${path}`,
    path.replace('/mlflow/', '/mlflow%2F'),
  ];
  it.each(['/api/2.0/mlflow/registered-models/create', '/ajax-api/2.0/mlflow/model-versions/create'])(
    '%s',
    async (path) => {
      for (const variant of variants(path)) {
        const res = await t.http.post(variant).send({ name: 'variant' });
        expect({ variant, code: res.body.error_code }).toEqual({ variant, code: 'ENDPOINT_NOT_FOUND' });
        expectMlflowError(res, 404, 'ENDPOINT_NOT_FOUND');
      }
      const rows = await t.db('registered_models').where({ name: 'variant' });
      expect(rows).toHaveLength(0);
    },
  );

  it('answers unknown routes and methods with a JSON ENDPOINT_NOT_FOUND, never HTML', async () => {
    for (const [method, path] of [
      ['get', '/api/2.0/mlflow/nope'],
      ['put', '/api/2.0/mlflow/registered-models/create'],
      ['get', '/ajax-api/2.0/mlflow/<script>alert(1)</script>'],
      ['post', '/v1/traces'],
      ['get', '/api/3.0/mlflow/traces/tr-0123'],
    ] as const) {
      expectMlflowError(await t.http[method](path), 404, 'ENDPOINT_NOT_FOUND');
    }
  });
});
