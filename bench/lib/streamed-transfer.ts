import fs from 'node:fs';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';

export interface Transfer {
  status: number;
  bytes: number;
  seconds: number;
  body: string;
}

/**
 * PUTs a file as one streamed request body with Content-Length (as the MLflow client's `requests.put(data=f)`
 * does). The clock runs from the first byte sent to the complete answer.
 */
export async function putFile(
  url: string,
  file: string,
  headers: Record<string, string> = {},
): Promise<Transfer> {
  const bytes = fs.statSync(file).size;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(bytes), ...headers },
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          bytes,
          seconds: (performance.now() - started) / 1000,
          body: Buffer.concat(chunks).toString('utf8').slice(0, 2000),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    fs.createReadStream(file, { highWaterMark: 1024 * 1024 })
      .on('error', reject)
      .pipe(req);
  });
}

/** GETs `url` into `file` (written to disk as a real client would); the clock stops when the file is closed. */
export async function getToFile(url: string, file: string): Promise<Transfer> {
  const started = performance.now();
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    http.get(url, resolve).on('error', reject);
  });
  if (res.statusCode !== 200) {
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    return {
      status: res.statusCode ?? 0,
      bytes: 0,
      seconds: 0,
      body: Buffer.concat(chunks).toString('utf8').slice(0, 2000),
    };
  }
  await pipeline(res, fs.createWriteStream(file, { highWaterMark: 1024 * 1024 }));
  return {
    status: 200,
    bytes: fs.statSync(file).size,
    seconds: (performance.now() - started) / 1000,
    body: '',
  };
}
