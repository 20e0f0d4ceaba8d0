import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express, { Router } from 'express';
import supertest from 'supertest';
import { createLogger } from '../../log';
import { requestLog } from './request-log';

interface Line {
  level: number;
  msg: string;
  req: { id: number; method: string; url: string; query: Record<string, unknown> };
  res: { statusCode: number };
  responseTime: number;
}

function appLoggingTo(lines: Line[], level = 'info') {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      callback();
    },
  });
  const app = express();
  app.use(requestLog(createLogger(level, stream)));
  const mounted = Router();
  mounted.get('/file', (_req, res) => void res.send('bytes'));
  app.use('/mounted', mounted);
  app.get('/health', (_req, res) => void res.send('ok'));
  app.get('/fails', (_req, res) => void res.status(503).json({ error_code: 'TEMPORARILY_UNAVAILABLE' }));
  app.get('/hangs', (_req, res) => void res.write('partial'));
  // What Node does to an upload answered early and closed on (test/faults/disk-full.test.ts does it for real).
  app.get('/releases-socket', (req, res) => {
    res.once('finish', () => Object.assign(req, { socket: null }));
    res.status(507).json({ error_code: 'RESOURCE_EXHAUSTED' });
  });
  return app;
}

/** Lines are written asynchronously: wait until `count` have arrived. */
async function settle(lines: Line[], count: number): Promise<Line[]> {
  for (let i = 0; i < 100 && lines.length < count; i += 1) await new Promise((r) => setTimeout(r, 10));
  return lines;
}

describe('requestLog', () => {
  it('logs a completed request once, with the full URL even under a mounted router, redacted', async () => {
    const lines: Line[] = [];
    const app = appLoggingTo(lines);
    await supertest(app).get('/mounted/file?name=m&private_token=s3cret').expect(200);
    await supertest(app).get('/mounted/file').expect(200);
    const [first, second] = await settle(lines, 2);
    expect(lines).toHaveLength(2);
    expect(first).toMatchObject({
      level: 30,
      msg: 'request completed',
      req: {
        method: 'GET',
        url: '/mounted/file?name=m&private_token=[redacted]',
        query: { name: 'm', private_token: '[redacted]' },
      },
      res: { statusCode: 200 },
    });
    expect(first.responseTime).toBeGreaterThanOrEqual(0);
    expect(second.req.id).toBe(first.req.id + 1);
    expect(JSON.stringify(lines)).not.toContain('s3cret');
  });

  it('logs a 5xx at error as errored, and nothing for /health', async () => {
    const lines: Line[] = [];
    const app = appLoggingTo(lines);
    await supertest(app).get('/health').expect(200);
    await supertest(app).get('/fails').expect(503);
    await settle(lines, 1);
    expect(lines).toEqual([
      expect.objectContaining({ level: 50, msg: 'request errored', res: { statusCode: 503 } }),
    ]);
  });

  it('keeps 5xx lines at LOG_LEVEL=error and drops the rest', async () => {
    const lines: Line[] = [];
    const app = appLoggingTo(lines, 'error');
    await supertest(app).get('/mounted/file').expect(200);
    await supertest(app).get('/fails').expect(503);
    await settle(lines, 1);
    expect(lines.map((l) => l.msg)).toEqual(['request errored']);
  });

  it('logs a request whose socket Node let go of before the answer closed, with its address', async () => {
    const lines: Line[] = [];
    await supertest(appLoggingTo(lines)).get('/releases-socket').expect(507);
    await settle(lines, 1);
    expect(lines).toEqual([
      expect.objectContaining({
        msg: 'request errored',
        req: expect.objectContaining({ remoteAddress: expect.any(String) }),
      }),
    ]);
  });

  it('logs an answer the client cut off as aborted', async () => {
    const lines: Line[] = [];
    const server = http.createServer(appLoggingTo(lines));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => {
      const req = http.get(`http://127.0.0.1:${port}/hangs`, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
    });
    await settle(lines, 1);
    server.close();
    expect(lines).toEqual([
      expect.objectContaining({
        level: 30,
        msg: 'request aborted',
        req: expect.objectContaining({ url: '/hangs' }),
      }),
    ]);
  });
});
