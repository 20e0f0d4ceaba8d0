import { bytesOrJson } from '../helpers/bodies';
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { Writable } from 'node:stream';
import supertest from 'supertest';
import { createApp } from '../../src/app';
import { createLogger, redactUrl } from '../../src/log';
import { putArtifacts, uniqueName } from '../helpers/mlflow';
import { createTestApp, TestApp } from '../helpers/test-app';
import { bearer, mintToken } from '../helpers/tokens';
import { expectMlflowError } from './support';

/**
 * Signed download links (issue 17 items 2 and 7). A link is a credential without a token: it serves exactly
 * the bytes it was made for (with their length and checksum, to GET, HEAD and a range, without killing the
 * process), dies with them (model deleted and re-created, file replaced), accepts one spelling of each value,
 * and its signature — like every credential sent in a query string — never reaches a log line.
 */
let t: TestApp;
let admin: string;

const sha256 = (bytes: Buffer | string): string => crypto.createHash('sha256').update(bytes).digest('hex');

/** A request for a link the way a tokenless client sends it (path and query only), body kept as bytes. */
function fetchLink(pathAndQuery: string) {
  return t.http.get(pathAndQuery).buffer(true).parse(bytesOrJson);
}

const local = (url: string): string => {
  const parsed = new URL(url);
  return parsed.pathname + parsed.search;
};

async function createModel(name: string): Promise<number> {
  await t.http.post('/api/2.0/mlflow/registered-models/create').set(bearer(admin)).send({ name }).expect(200);
  return Number((await t.db('registered_models').where({ name }).first('id')).id);
}

async function createVersion(name: string, source: string): Promise<void> {
  await t.http
    .post('/api/2.0/mlflow/model-versions/create')
    .set(bearer(admin))
    .send({ name, source })
    .expect(200);
}

/** Links of a version, keyed by file path. */
async function linksOf(name: string): Promise<Record<string, string>> {
  const res = await t.http
    .get(`/api/models/${name}/download-uris`)
    .set(bearer(admin))
    .query({ version: '1' });
  expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: expect.any(Object) });
  return res.body as Record<string, string>;
}

/** A model with version 1 whose files were stored through the artifact proxy; returns its link to `file`. */
async function modelWithFile(
  file: string,
  bytes: Buffer | string,
): Promise<{ name: string; dir: string; modelId: number; link: string }> {
  const name = uniqueName('signed');
  const dir = `0/${uniqueName('files')}/artifacts`;
  const modelId = await createModel(name);
  await createVersion(name, await putArtifacts(t, dir, { [file]: bytes }, bearer(admin)));
  return { name, dir, modelId, link: local((await linksOf(name))[file]) };
}

/** HEAD over a raw socket, so any byte sent after the headers would show; the whole response as text. */
async function rawHead(pathAndQuery: string): Promise<string> {
  const server = http.createServer(t.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const socket = net.connect(port, '127.0.0.1', () =>
        socket.write(`HEAD ${pathAndQuery} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`),
      );
      socket.setTimeout(10_000, () => socket.destroy(new Error('no complete answer to HEAD within 10 s')));
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
      socket.on('error', reject);
    });
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

async function expectAlive(): Promise<void> {
  expect((await t.http.get('/health')).status).toBe(200);
}

function expectGone(res: supertest.Response, notServed: string): void {
  expectMlflowError(res, 404, 'RESOURCE_DOES_NOT_EXIST');
  expect(JSON.stringify(res.body)).not.toContain(notServed);
}

beforeAll(async () => {
  t = await createTestApp({ AUTH: 'on', SIGNING_SECRET: 'signed-links-suite-secret' });
  admin = await mintToken(t, 'admin');
});
afterAll(async () => {
  await t.close();
});

describe('a link from GET /api/models/<name>/download-uris', () => {
  const BYTES = crypto.randomBytes(50_000);
  let link: string;

  beforeAll(async () => {
    ({ link } = await modelWithFile('weights.bin', BYTES));
  });

  it('serves the bytes without a token, with Content-Length, X-Checksum-Sha256 and no Trailer', async () => {
    const res = await fetchLink(link);
    expect(res.status).toBe(200);
    expect(Buffer.compare(res.body as Buffer, BYTES)).toBe(0);
    expect(res.headers['content-length']).toBe(String(BYTES.length));
    expect(res.headers['x-checksum-sha256']).toBe(sha256(BYTES));
    expect(res.headers.trailer).toBeUndefined();
    expect(res.headers['transfer-encoding']).toBeUndefined();
    await expectAlive();
  });

  it('answers HEAD with 200, Content-Length and the checksum, and no body', async () => {
    const raw = await rawHead(link);
    const [head, ...rest] = raw.split('\r\n\r\n');
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
    const headers = Object.fromEntries(
      head
        .split('\r\n')
        .slice(1)
        .map((line) => [
          line.slice(0, line.indexOf(':')).toLowerCase(),
          line.slice(line.indexOf(':') + 1).trim(),
        ]),
    );
    expect(headers['content-length']).toBe(String(BYTES.length));
    expect(headers['x-checksum-sha256']).toBe(sha256(BYTES));
    expect(headers.trailer).toBeUndefined();
    expect(rest.join('\r\n\r\n')).toBe('');
    await expectAlive();
  });

  it('answers Range: bytes=0-3 with 206 and the first 4 bytes', async () => {
    const res = await fetchLink(link).set('Range', 'bytes=0-3');
    expect(res.status).toBe(206);
    expect(Buffer.compare(res.body as Buffer, BYTES.subarray(0, 4))).toBe(0);
    expect(res.headers['content-length']).toBe('4');
    expect(res.headers['content-range']).toBe(`bytes 0-3/${BYTES.length}`);
    expect(res.headers.trailer).toBeUndefined();
    await expectAlive();
  });
});

/** A link minted now serves the current file: the 404 was the old link's, not a broken download. */
async function expectFreshLinkServes(name: string, text: string): Promise<void> {
  const fresh = await fetchLink(local((await linksOf(name))['model.bin']));
  expect({ status: fresh.status, text: String(fresh.body) }).toEqual({ status: 200, text });
}

describe('a link dies with the file it was made for', () => {
  it('answers 404 once the model is deleted and re-created with a file of the same path (other bytes)', async () => {
    const { name, dir, link } = await modelWithFile('model.bin', 'first model bytes');
    await t.http
      .delete('/api/2.0/mlflow/registered-models/delete')
      .set(bearer(admin))
      .send({ name })
      .expect(200);
    await createModel(name);
    await createVersion(
      name,
      await putArtifacts(t, dir, { 'model.bin': 'second model bytes' }, bearer(admin)),
    );

    expectGone(await fetchLink(link), 'second model bytes');
    await expectFreshLinkServes(name, 'second model bytes');
  });

  it('answers 404 once the model is deleted and re-created with identical files (the model id is signed)', async () => {
    const { name, link } = await modelWithFile('model.bin', 'same bytes twice');
    await t.http
      .delete('/api/2.0/mlflow/registered-models/delete')
      .set(bearer(admin))
      .send({ name })
      .expect(200);
    await createModel(name);
    const dir = `0/${uniqueName('files')}/artifacts`;
    await createVersion(name, await putArtifacts(t, dir, { 'model.bin': 'same bytes twice' }, bearer(admin)));

    expectGone(await fetchLink(link), 'same bytes twice');
  });

  it('answers 404 once only the file is replaced through the artifact proxy', async () => {
    const { name, dir, link } = await modelWithFile('model.bin', 'original bytes');
    await putArtifacts(t, dir, { 'model.bin': 'replacement bytes' }, bearer(admin));

    expectGone(await fetchLink(link), 'replacement bytes');
    await expectFreshLinkServes(name, 'replacement bytes');
  });

  it('answers 403 to a link whose model_id or sha256 was altered', async () => {
    const { link, modelId } = await modelWithFile('model.bin', 'bytes under a signature');
    const other = await modelWithFile('model.bin', 'bytes of another model');
    expect((await fetchLink(link)).status).toBe(200);
    const altered = [
      link.replace(`model_id=${modelId}`, `model_id=${other.modelId}`),
      link.replace(`model_id=${modelId}`, `model_id=${modelId + 1000}`),
      link.replace(/sha256=[0-9a-f]{64}/, `sha256=${sha256('bytes of another model')}`),
      link.replace(/sha256=[0-9a-f]{64}/, `sha256=${'0'.repeat(64)}`),
    ];
    for (const tampered of altered) {
      expect(tampered).not.toBe(link);
      const res = await fetchLink(tampered);
      expectMlflowError(res, 403, 'PERMISSION_DENIED');
      expect(JSON.stringify(res.body)).not.toContain('bytes');
    }
  });
});

describe('one spelling per value', () => {
  let link: string;
  let name: string;

  beforeAll(async () => {
    ({ link, name } = await modelWithFile('model.bin', 'spelled once'));
  });

  it('serves the link as issued', async () => {
    expect(link).toContain(`/api/downloads/${encodeURIComponent(name)}/1/model.bin?`);
    const res = await fetchLink(link);
    expect({ status: res.status, text: String(res.body) }).toEqual({ status: 200, text: 'spelled once' });
  });

  it.each([
    ['01', '01'],
    ['1.0', '1.0'],
    ['+1', '+1'],
    ['" 1"', '%201'],
    ['"1 "', '1%20'],
    ['1e0', '1e0'],
    ['0x1', '0x1'],
  ])('refuses the version segment written %s (403)', async (_spelling, segment) => {
    const respelled = link.replace(
      `/${encodeURIComponent(name)}/1/`,
      `/${encodeURIComponent(name)}/${segment}/`,
    );
    expect(respelled).not.toBe(link);
    const res = await fetchLink(respelled);
    expectMlflowError(res, 403, 'PERMISSION_DENIED');
  });
});

describe('credentials in URLs never reach a log line', () => {
  describe('redactUrl', () => {
    it.each([
      ['/a?signature=abc&expires=5', '/a?signature=[redacted]&expires=5'],
      ['/a?private_token=s&max_results=5', '/a?private_token=[redacted]&max_results=5'],
      [
        '/a?X-Amz-Credential=c&X-Amz-Signature=s&x=1',
        '/a?X-Amz-Credential=[redacted]&X-Amz-Signature=[redacted]&x=1',
      ],
      ['/a?sig=1&key=2&keys=3', '/a?sig=[redacted]&key=[redacted]&keys=3'],
      ['/a?%73ignature=abc', '/a?%73ignature=[redacted]'],
      ['/a?password=p&flag', '/a?password=[redacted]&flag'],
      ['/no/query', '/no/query'],
      ['/a?name=token-model', '/a?name=token-model'],
    ])('%s → %s', (url, expected) => {
      expect(redactUrl(url)).toBe(expected);
    });
  });

  describe('the request log of an app writing to memory', () => {
    const lines: string[] = [];
    let http: ReturnType<typeof supertest>;

    beforeAll(() => {
      const stream = new Writable({
        write(chunk: Buffer, _encoding, callback) {
          lines.push(...chunk.toString().split('\n').filter(Boolean));
          callback();
        },
      });
      http = supertest(createApp({ ...t.ctx, log: createLogger('info', stream) }));
    });

    /** The completed-request lines whose URL starts with `path`, waiting briefly for the log to flush. */
    async function logged(path: string): Promise<Array<{ req: { url: string; query: unknown } }>> {
      for (let attempt = 0; attempt < 50; attempt += 1) {
        const found = lines
          .map((line) => JSON.parse(line))
          .filter((entry) => entry.req?.url?.startsWith(path));
        if (found.length > 0) return found;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`no log line for ${path}; lines: ${lines.join('\n')}`);
    }

    it('keeps the signature of a fetched link out of every line, and marks it [redacted]', async () => {
      const { link } = await modelWithFile('model.bin', 'logged download');
      const signature = new URL(link, 'http://x').searchParams.get('signature')!;
      expect(signature.length).toBeGreaterThan(20);
      const res = await http.get(link);
      expect(res.status).toBe(200);

      const [entry] = await logged('/api/downloads/');
      expect(entry.req.url).toContain('signature=[redacted]');
      expect(entry.req.url).toMatch(/[?&]model_id=\d+/);
      expect(entry.req.url).toMatch(/[?&]expires=\d+/);
      expect(entry.req.query).toMatchObject({ signature: '[redacted]' });
      expect(lines.filter((line) => line.includes(signature))).toEqual([]);
    });

    it('keeps private_token, job_token and access_token values out of every line, and other parameters in', async () => {
      const res = await http
        .get(
          '/api/2.0/mlflow/registered-models/search?max_results=5&private_token=secret123&job_token=jt&access_token=at',
        )
        .set(bearer(admin));
      expect(res.status).toBe(200);

      const [entry] = await logged('/api/2.0/mlflow/registered-models/search');
      expect(entry.req.url).toBe(
        '/api/2.0/mlflow/registered-models/search?max_results=5&private_token=[redacted]&job_token=[redacted]&access_token=[redacted]',
      );
      expect(entry.req.query).toEqual({
        max_results: '5',
        private_token: '[redacted]',
        job_token: '[redacted]',
        access_token: '[redacted]',
      });
      const leaks = lines.filter((line) =>
        ['secret123', '=jt', '"jt"', '=at&', '=at"', '"at"', admin].some((value) => line.includes(value)),
      );
      expect(leaks).toEqual([]);
    });
  });
});
