import { Writable } from 'node:stream';
import { createLogger, humanReadable } from './log';

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
