/**
 * The least a file server written in Node must do, as a yardstick for semreg's own figures: take the body of
 * `PUT /<name>`, hash it with sha256, write it to `<dir>/<name>`, fsync, answer the hash; stream `<dir>/<name>`
 * back for `GET /<name>`. No database, no path rules, no temporary file. Run as its own process:
 * `tsx bench/lib/minimal-upload-server.ts <dir> <port>`; `GET /health` answers 200 once it listens. SIGINT
 * stops it.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const [dir, port] = process.argv.slice(2);

function store(req: http.IncomingMessage, res: http.ServerResponse, file: string): void {
  const hash = crypto.createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  const out = fs.createWriteStream(file, { flush: true, highWaterMark: 4 * 1024 * 1024 });
  pipeline(req, hashing, out).then(
    () => res.end(JSON.stringify({ file: { sha256: hash.digest('hex') } })),
    (err: Error) => {
      res.statusCode = 500;
      res.end(err.message);
    },
  );
}

function serve(res: http.ServerResponse, file: string): void {
  fs.stat(file, (err, stat) => {
    if (err) {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': stat.size });
    pipeline(fs.createReadStream(file), res).catch(() => res.destroy());
  });
}

const server = http.createServer((req, res) => {
  // The file name is the URL's last segment: nothing can escape `dir`.
  const file = path.join(dir, path.basename(req.url ?? 'upload'));
  if (req.method === 'PUT') store(req, res, file);
  else if (req.url === '/health') res.end('ok');
  else serve(res, file);
});
server.listen(Number(port), '127.0.0.1');
process.on('SIGINT', () => server.close(() => process.exit(0)));
