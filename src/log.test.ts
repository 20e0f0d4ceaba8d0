import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { batchedDestination, createLogger, flushLog, humanReadable } from './log';

/** The terminal format of `npm start`: one line per entry, requests without headers or JSON. */
describe('humanReadable', () => {
  function capture() {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        callback();
      },
    });
    return { lines, log: createLogger('info', humanReadable(stream)) };
  }

  it('prints a request as one line: method, URL, status, time', () => {
    const { lines, log } = capture();
    log.info(
      {
        req: {
          method: 'GET',
          url: '/api/2.0/mlflow/registered-models/get?name=m',
          headers: { host: 'h', 'user-agent': 'ua' },
        },
        res: { statusCode: 200, headers: { 'content-type': 'application/json' } },
        responseTime: 3,
      },
      'request completed',
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/INFO.*: GET \/api\/2\.0\/mlflow\/registered-models\/get\?name=m → 200 3 ms$/);
    expect(lines[0]).not.toMatch(/user-agent|content-type|headers|\{/);
  });

  it('prints other entries as their message with their fields on the same line', () => {
    const { lines, log } = capture();
    log.warn({ check: 'artifact_store', reason: 'ENOENT' }, 'not ready');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/WARN.*: not ready \{"check":"artifact_store","reason":"ENOENT"\}$/);
  });
});

describe('batchedDestination', () => {
  it('writes the lines logged so far once flushLog resolves, and on its own within the periodic flush', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'semreg-log-'));
    const file = path.join(dir, 'out.log');
    const fd = fs.openSync(file, 'w');
    const destination = batchedDestination(fd);
    const log = createLogger('info', destination);
    try {
      for (const n of [1, 2, 3]) log.info({ n }, 'line');
      await flushLog(log);
      const flushed = fs.readFileSync(file, 'utf8').trim().split('\n');
      expect(flushed.map((line) => JSON.parse(line).n)).toEqual([1, 2, 3]);

      log.info({ n: 4 }, 'line');
      let text = '';
      for (let i = 0; i < 40 && !text.includes('"n":4'); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        text = fs.readFileSync(file, 'utf8');
      }
      expect(text).toContain('"n":4');
    } finally {
      await new Promise((resolve) => {
        destination.once('close', resolve);
        destination.end(); // flushes, then closes fd
      });
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
