import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { guardedFetch, isPublicAddress, validateOutboundUrl } from '../../../src/net/guarded-fetch';

/** A real listener on 127.0.0.1 that counts every connection it ever receives. */
async function listener(handler: http.RequestListener = (_req, res) => res.end('ok')) {
  let connections = 0;
  const server = http.createServer(handler);
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('isPublicAddress', () => {
  it.each([
    '127.0.0.1',
    '127.1.2.3',
    '::1',
    '169.254.169.254',
    '10.0.0.1',
    '172.16.5.4',
    '192.168.1.1',
    '0.0.0.0',
    '::',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1',
    '::ffff:127.0.0.1',
    '::ffff:169.254.169.254',
    '::127.0.0.1',
    '100.64.0.1',
    '224.0.0.1',
    '255.255.255.255',
    '64:ff9b::7f00:1',
    'not-an-ip',
  ])('refuses %s', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('accepts %s', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });
});

describe('guardedFetch', () => {
  let target: Awaited<ReturnType<typeof listener>>;
  beforeEach(async () => {
    target = await listener();
  });
  afterEach(async () => {
    await target.close();
  });

  it.each([
    (port: number) => `http://127.0.0.1:${port}/hook`,
    (port: number) => `http://localhost:${port}/hook`,
    (port: number) => `http://[::ffff:127.0.0.1]:${port}/hook`,
    (port: number) => `http://[::ffff:7f00:1]:${port}/hook`,
    (port: number) => `http://2130706433:${port}/hook`,
    (port: number) => `http://0x7f.0.0.1:${port}/hook`,
    (port: number) => `http://127.1:${port}/hook`,
  ])('never connects to a loopback listener without allowPrivate (%#)', async (build) => {
    await expect(guardedFetch(build(target.port), { method: 'POST', body: '{}' })).rejects.toMatchObject({
      errorCode: 'INVALID_PARAMETER_VALUE',
      message: expect.stringContaining('not allowed'),
    });
    expect(target.connections()).toBe(0);
  });

  it('refuses the cloud metadata address before any connection is attempted', async () => {
    await expect(
      guardedFetch('http://169.254.169.254/latest/meta-data/', { timeoutMs: 500 }),
    ).rejects.toMatchObject({
      message: expect.stringContaining('169.254.169.254'),
    });
  });

  it('refuses non-http schemes and URLs with credentials', async () => {
    await expect(guardedFetch('file:///etc/passwd')).rejects.toMatchObject({
      errorCode: 'INVALID_PARAMETER_VALUE',
    });
    await expect(guardedFetch('ftp://example.com/')).rejects.toMatchObject({
      errorCode: 'INVALID_PARAMETER_VALUE',
    });
    await expect(
      guardedFetch(`http://u:p@127.0.0.1:${target.port}/`, { allowPrivate: true }),
    ).rejects.toMatchObject({
      errorCode: 'INVALID_PARAMETER_VALUE',
    });
    expect(target.connections()).toBe(0);
  });

  it('validateOutboundUrl refuses names that resolve to loopback', async () => {
    await expect(validateOutboundUrl(`http://localhost:${target.port}/`, false)).rejects.toMatchObject({
      errorCode: 'INVALID_PARAMETER_VALUE',
    });
    await expect(validateOutboundUrl(`http://localhost:${target.port}/`, true)).resolves.toBeInstanceOf(URL);
  });

  it('delivers to loopback only when allowPrivate is set, and caps the body it reads', async () => {
    const big = await listener((_req, res) => res.end('x'.repeat(200_000)));
    try {
      const response = await guardedFetch(`http://127.0.0.1:${big.port}/`, {
        allowPrivate: true,
        maxResponseBytes: 1024,
      });
      expect(response.status).toBe(200);
      expect(response.ok).toBe(true);
      expect(response.body).toHaveLength(1024);
      expect(response.truncated).toBe(true);
    } finally {
      await big.close();
    }
  });

  it('does not follow redirects: a 3xx is returned as a failure', async () => {
    let redirectedHits = 0;
    const final = await listener((_req, res) => {
      redirectedHits += 1;
      res.end('ok');
    });
    const redirecting = await listener((_req, res) => {
      res.writeHead(302, { Location: `http://127.0.0.1:${final.port}/` });
      res.end();
    });
    try {
      const response = await guardedFetch(`http://127.0.0.1:${redirecting.port}/`, { allowPrivate: true });
      expect(response.status).toBe(302);
      expect(response.ok).toBe(false);
      expect(redirectedHits).toBe(0);
    } finally {
      await redirecting.close();
      await final.close();
    }
  });

  it('times out on a receiver that never answers', async () => {
    const silent = await listener(() => undefined);
    try {
      await expect(
        guardedFetch(`http://127.0.0.1:${silent.port}/`, { allowPrivate: true, timeoutMs: 300 }),
      ).rejects.toMatchObject({
        errorCode: 'TEMPORARILY_UNAVAILABLE',
        message: expect.stringContaining('timed out'),
      });
    } finally {
      await silent.close();
    }
  });
});
