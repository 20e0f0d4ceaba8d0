import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isStored, leftoverUploads } from '../../helpers/stored';
import { createTestApp, TestApp } from '../../helpers/test-app';
import { Canaries } from '../../security/support';

/**
 * The mlflow-artifacts proxy (mlflow-compat.md §3.8) under both prefixes, on real files and the real database.
 * Requests go through a raw node:http client so that paths reach the server exactly as written (supertest's
 * URL handling would resolve `..` and `%2e%2e` before sending).
 */
const PREFIXES = ['/api/2.0/mlflow-artifacts', '/ajax-api/2.0/mlflow-artifacts'] as const;
const MAX_BYTES = 64 * 1024;

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
  json: any;
}

let t: TestApp;
let server: http.Server;
let port: number;
let canaries: Canaries;
const seen: RawResponse[] = [];

function request(
  method: string,
  urlPath: string,
  options: { body?: Buffer | string; headers?: Record<string, string> } = {},
) {
  return new Promise<RawResponse>((resolve, reject) => {
    const headers: Record<string, string | number> = { ...options.headers };
    if (options.body !== undefined) headers['Content-Length'] = Buffer.byteLength(options.body);
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        const text = body.toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        const response = { status: res.statusCode ?? 0, headers: res.headers, body, text, json };
        seen.push(response);
        resolve(response);
      });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const sha256 = (data: Buffer | string): string => crypto.createHash('sha256').update(data).digest('hex');
const unique = (): string => crypto.randomBytes(6).toString('hex');
const storedRow = (key: string) => t.db('stored_files').where({ key }).first();

beforeAll(async () => {
  t = await createTestApp({ MAX_ARTIFACT_BYTES: String(MAX_BYTES) });
  canaries = new Canaries(t.config.artifactRoot);
  server = http.createServer(t.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  canaries.assertUntouched();
  for (const response of seen) expect(response.text).not.toContain(canaries.secret);
  canaries.cleanup();
  await new Promise((resolve) => server.close(resolve));
  await t.close();
});

describe.each(PREFIXES)('%s', (prefix) => {
  it('PUT stores the raw body of any content type and GET streams it back as an attachment', async () => {
    const dir = `1/${unique()}/artifacts`;
    const json = '{"a": 1}';
    const put = await request('PUT', `${prefix}/artifacts/${dir}/conf%20ig.json`, {
      body: json,
      headers: { 'Content-Type': 'text/plain' },
    });
    expect(put.status).toBe(200);
    expect(put.json).toEqual({});

    const got = await request('GET', `${prefix}/artifacts/${dir}/conf%20ig.json`);
    expect(got.status).toBe(200);
    expect(got.text).toBe(json);
    expect(got.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(got.headers['content-length']).toBe(String(Buffer.byteLength(json)));
    expect(got.headers['content-disposition']).toMatch(/^attachment; filename="conf ig.json"/);
    expect(got.headers['x-content-type-options']).toBe('nosniff');
    expect(got.headers['accept-ranges']).toBe('bytes');
  });

  it.each([
    ['model.pkl', 'application/octet-stream'],
    ['MLmodel', 'text/plain; charset=utf-8'],
    ['page.html', 'text/plain; charset=utf-8'],
    ['image.svg', 'text/plain; charset=utf-8'],
    ['plot.png', 'image/png'],
  ])('serves %s as %s (renderable types forced to text/plain)', async (name, type) => {
    const key = `2/${unique()}/${name}`;
    expect(
      (await request('PUT', `${prefix}/artifacts/${key}`, { body: '<script>alert(1)</script>' })).status,
    ).toBe(200);
    const got = await request('GET', `${prefix}/artifacts/${key}`);
    expect(got.headers['content-type']).toBe(type);
  });

  it('records size and sha256 of every stored file, and updates them on overwrite', async () => {
    const key = `3/${unique()}/data.bin`;
    const first = crypto.randomBytes(5000);
    await request('PUT', `${prefix}/artifacts/${key}`, { body: first });
    expect(await storedRow(key)).toMatchObject({ size: 5000, sha256: sha256(first) });

    const second = crypto.randomBytes(300);
    expect((await request('PUT', `${prefix}/artifacts/${key}`, { body: second })).status).toBe(200);
    const got = await request('GET', `${prefix}/artifacts/${key}`);
    expect(sha256(got.body)).toBe(sha256(second));
    expect(await storedRow(key)).toMatchObject({ size: 300, sha256: sha256(second) });
  });

  it('lists direct children by basename; a missing path or a file path gives {}', async () => {
    const dir = `4/${unique()}/artifacts`;
    await request('PUT', `${prefix}/artifacts/${dir}/model/MLmodel`, { body: 'flavors: {}' });
    await request('PUT', `${prefix}/artifacts/${dir}/model/data/weights.bin`, { body: Buffer.alloc(10) });
    await request('PUT', `${prefix}/artifacts/${dir}/report.html`, { body: '<p>hi</p>' });

    const root = await request('GET', `${prefix}/artifacts?path=${encodeURIComponent(dir)}`);
    expect(root.status).toBe(200);
    expect(root.json).toEqual({
      files: [
        { path: 'model', is_dir: true },
        { path: 'report.html', is_dir: false, file_size: 9 },
      ],
    });
    const model = await request('GET', `${prefix}/artifacts?path=${encodeURIComponent(`${dir}/model`)}`);
    expect(model.json.files).toEqual([
      { path: 'MLmodel', is_dir: false, file_size: 11 },
      { path: 'data', is_dir: true },
    ]);
    expect((await request('GET', `${prefix}/artifacts?path=${dir}/missing`)).json).toEqual({});
    expect((await request('GET', `${prefix}/artifacts?path=${dir}/report.html`)).json).toEqual({});
    const top = await request('GET', `${prefix}/artifacts`);
    expect(top.json.files.map((f: { path: string }) => f.path)).not.toContain('.tmp');
  });

  it('answers HEAD with the headers of the download and no body', async () => {
    const key = `5/${unique()}/h.txt`;
    await request('PUT', `${prefix}/artifacts/${key}`, { body: 'twelve bytes' });
    const head = await request('HEAD', `${prefix}/artifacts/${key}`);
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe('12');
    expect(head.body.length).toBe(0);
  });

  it('answers a single range with 206 and an unsatisfiable one with 416', async () => {
    const key = `5/${unique()}/r.txt`;
    await request('PUT', `${prefix}/artifacts/${key}`, { body: '0123456789' });
    const part = await request('GET', `${prefix}/artifacts/${key}`, { headers: { Range: 'bytes=2-5' } });
    expect(part.status).toBe(206);
    expect(part.text).toBe('2345');
    expect(part.headers['content-range']).toBe('bytes 2-5/10');
    expect(part.headers['content-length']).toBe('4');
    const tail = await request('GET', `${prefix}/artifacts/${key}`, { headers: { Range: 'bytes=-3' } });
    expect(tail.text).toBe('789');
    const beyond = await request('GET', `${prefix}/artifacts/${key}`, { headers: { Range: 'bytes=20-30' } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers['content-range']).toBe('bytes */10');
    expect(beyond.json.error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('answers 404 RESOURCE_DOES_NOT_EXIST (JSON) for a missing file and a directory', async () => {
    const dir = `6/${unique()}`;
    await request('PUT', `${prefix}/artifacts/${dir}/sub/f.txt`, { body: 'x' });
    for (const target of [`${dir}/nope.txt`, `${dir}/sub`]) {
      const res = await request('GET', `${prefix}/artifacts/${target}`);
      expect(res.status).toBe(404);
      expect(res.json.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    }
  });

  it('DELETE removes a file or a whole tree with their rows', async () => {
    const dir = `7/${unique()}`;
    await request('PUT', `${prefix}/artifacts/${dir}/a.txt`, { body: 'a' });
    await request('PUT', `${prefix}/artifacts/${dir}/sub/b.txt`, { body: 'b' });
    const one = await request('DELETE', `${prefix}/artifacts/${dir}/a.txt`);
    expect(one.status).toBe(200);
    expect(one.json).toEqual({});
    expect((await request('GET', `${prefix}/artifacts/${dir}/a.txt`)).status).toBe(404);
    expect(await storedRow(`${dir}/a.txt`)).toBeUndefined();

    expect((await request('DELETE', `${prefix}/artifacts/${dir}`)).status).toBe(200);
    expect((await request('GET', `${prefix}/artifacts?path=${dir}`)).json).toEqual({});
    expect(await storedRow(`${dir}/sub/b.txt`)).toBeUndefined();
    expect(await isStored(t, dir)).toBe(false);
  });

  it('refuses a declared body over MAX_ARTIFACT_BYTES with 413 before storing anything', async () => {
    const key = `8/${unique()}/big.bin`;
    const res = await request('PUT', `${prefix}/artifacts/${key}`, { body: Buffer.alloc(MAX_BYTES + 1) });
    expect(res.status).toBe(413);
    expect(res.json.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(await storedRow(key)).toBeUndefined();
    expect((await request('GET', `${prefix}/artifacts/${key}`)).status).toBe(404);
  });

  it('reads a modest refused body to its end so a client still sending gets the 413, not EPIPE', async () => {
    const key = `8/${unique()}/still-sending.bin`;
    const total = 4 * 1024 * 1024;
    const res = await new Promise<RawResponse>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          method: 'PUT',
          path: `${prefix}/artifacts/${key}`,
          headers: { 'Content-Length': total },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (c: Buffer) => chunks.push(c));
          response.on('end', () => {
            const body = Buffer.concat(chunks);
            resolve({
              status: response.statusCode ?? 0,
              headers: response.headers,
              body,
              text: body.toString(),
              json: JSON.parse(body.toString()),
            });
          });
        },
      );
      req.on('error', reject); // EPIPE / ECONNRESET would fail the test here
      let sent = 0;
      const writeMore = () => {
        while (sent < total) {
          sent += 64 * 1024;
          if (!req.write(Buffer.alloc(64 * 1024))) return void req.once('drain', writeMore);
        }
        req.end();
      };
      writeMore();
    });
    expect(res.status).toBe(413);
    expect(res.headers.connection).not.toBe('close');
    expect(await storedRow(key)).toBeUndefined();
  });

  it('cuts off a chunked body that grows past the limit with 413 and stores nothing', async () => {
    const key = `8/${unique()}/chunked.bin`;
    const res = await new Promise<RawResponse>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, method: 'PUT', path: `${prefix}/artifacts/${key}` },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (c: Buffer) => chunks.push(c));
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            resolve({
              status: response.statusCode ?? 0,
              headers: response.headers,
              body: Buffer.concat(chunks),
              text,
              json: JSON.parse(text),
            });
          });
        },
      );
      req.on('error', reject);
      req.write(Buffer.alloc(MAX_BYTES));
      setTimeout(() => req.end(Buffer.alloc(1024)), 50);
    });
    expect(res.status).toBe(413);
    expect(await storedRow(key)).toBeUndefined();
    expect((await request('GET', `${prefix}/artifacts/${key}`)).status).toBe(404);
    expect(await leftoverUploads(t)).toEqual([]);
  });

  it.each(['create', 'complete', 'abort'])(
    'declines mpu/%s with 501 and the message the client falls back on',
    async (step) => {
      const res = await request('POST', `${prefix}/mpu/${step}/9/${unique()}/big.bin`, {
        body: JSON.stringify({ path: '/local/big.bin', num_parts: 3 }),
        headers: { 'Content-Type': 'application/json' },
      });
      expect(res.status).toBe(501);
      expect(res.json.error_code).toBe('NOT_IMPLEMENTED');
      expect(
        res.json.message.startsWith('Multipart upload is not supported for the current artifact repository'),
      ).toBe(true);
    },
  );

  it('declines presigned downloads with 501', async () => {
    const res = await request('GET', `${prefix}/presigned/9/x.bin`);
    expect(res.status).toBe(501);
    expect(res.json.error_code).toBe('NOT_IMPLEMENTED');
  });

  it('refuses writes and deletes under packages/ (403), which only the package API may change', async () => {
    expect(
      (await request('PUT', `${prefix}/artifacts/packages/1/1.0.0/x.bin`, { body: 'x' })).json.error_code,
    ).toBe('PERMISSION_DENIED');
    expect((await request('DELETE', `${prefix}/artifacts/packages`)).status).toBe(403);
  });
});

describe('interrupted upload', () => {
  it('leaves no file, no row and no temporary file when the client disconnects mid-body', async () => {
    const key = `10/${unique()}/interrupted.bin`;
    await new Promise<void>((resolve) => {
      const req = http.request({
        host: '127.0.0.1',
        port,
        method: 'PUT',
        path: `${PREFIXES[0]}/artifacts/${key}`,
        headers: { 'Content-Length': String(MAX_BYTES) },
      });
      req.on('error', () => resolve());
      req.write(Buffer.alloc(10_000), () => setTimeout(() => req.destroy(), 100));
      req.on('close', () => resolve());
    });
    // The server notices the disconnect asynchronously: wait until the temporary file is gone.
    for (let i = 0; i < 50 && (await leftoverUploads(t)).length > 0; i += 1)
      await new Promise((r) => setTimeout(r, 50));
    expect(await leftoverUploads(t)).toEqual([]);
    expect(await storedRow(key)).toBeUndefined();
    expect(await isStored(t, key)).toBe(false);

    const retried = await request('PUT', `${PREFIXES[0]}/artifacts/${key}`, { body: Buffer.alloc(100) });
    expect(retried.status).toBe(200);
    expect(await storedRow(key)).toMatchObject({ size: 100 });
  });
});

describe('path traversal (mlflow-compat.md §7, issue 6 item 1)', () => {
  // Raw suffixes after `artifacts/`, sent byte for byte. Symlinks planted by Canaries lead out of the root.
  const VECTORS = [
    '../secret.txt',
    '../../etc/passwd',
    './../x',
    'a/../b',
    '..%2F..%2Fetc%2Fpasswd',
    '%2e%2e/%2e%2e/etc/passwd',
    '%2E%2E%2Fx',
    '%252e%252e%252fetc%252fpasswd',
    '%25252e%25252e%25252fx',
    '%252%2509%252e',
    '..%5Cx',
    '..\\x',
    '%2Fetc%2Fpasswd',
    '%2Fetc%2Fpasswd%2500.jpg',
    'C:%2FWindows',
    'C:/x',
    '%5C%5C%3F%5CC:%5Cx',
    'a%00b',
    'file:%2F%2Fa%23%2F..%2F%2Ftmp',
    'a%23b',
    '%C0%AE%C0%AE/x',
    '%25C0%25AE%25C0%25AE/x',
    // Symlinks planted in the root (Canaries); an object store has none, where these are plain names.
    ...(process.env.SEMREG_TEST_STORE === 's3'
      ? []
      : ['link-to-passwd', 'link-to-outside/passwd', 'link-to-outside/new-file', 'dangling-link']),
  ];

  const expect400 = (res: RawResponse, what: string) => {
    expect({ what, status: res.status, json: res.headers['content-type'] }).toEqual({
      what,
      status: 400,
      json: expect.stringMatching(/^application\/json/),
    });
    expect(['INVALID_PARAMETER_VALUE', 'BAD_REQUEST']).toContain(res.json.error_code);
  };

  it.each(PREFIXES)(
    'refuses every vector on PUT, GET, DELETE, list, mpu and presigned under %s',
    async (prefix) => {
      for (const vector of VECTORS) {
        expect400(await request('PUT', `${prefix}/artifacts/${vector}`, { body: 'owned' }), `PUT ${vector}`);
        expect400(await request('GET', `${prefix}/artifacts/${vector}`), `GET ${vector}`);
        expect400(await request('DELETE', `${prefix}/artifacts/${vector}`), `DELETE ${vector}`);
        // mpu and presigned never touch storage, so only the lexical vectors apply to them (a symlink is inert there).
        if (!vector.includes('link')) {
          const mpu = await request('POST', `${prefix}/mpu/create/${vector}`, {
            body: '{}',
            headers: { 'Content-Type': 'application/json' },
          });
          expect400(mpu, `mpu ${vector}`);
          expect400(await request('GET', `${prefix}/presigned/${vector}`), `presigned ${vector}`);
        }
        if (!vector.includes('\\'))
          expect400(await request('GET', `${prefix}/artifacts?path=${vector}`), `list ${vector}`);
      }
      canaries.assertUntouched();
    },
  );

  it('refuses the temporary-upload area', async () => {
    expect400(await request('GET', `${PREFIXES[0]}/artifacts?path=.tmp`), 'list .tmp');
    expect400(await request('PUT', `${PREFIXES[0]}/artifacts/.tmp/x`, { body: 'x' }), 'PUT .tmp');
  });

  it('accepts names that only look suspicious (four dots)', async () => {
    const key = `11/${unique()}/..../x.txt`;
    expect((await request('PUT', `${PREFIXES[0]}/artifacts/${key}`, { body: 'ok' })).status).toBe(200);
    expect((await request('GET', `${PREFIXES[0]}/artifacts/${key}`)).text).toBe('ok');
  });
});
