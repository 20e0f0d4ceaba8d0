import net from 'node:net';

/**
 * One HTTP request over a raw socket, for what Node's client cannot send: HTTP/1.0 requests (what nginx
 * sends upstream by default) and exact control of the request line. The connection closes after the
 * answer, which is read to the end as sent, so a missing Content-Length or a stray trailer shows.
 */
export interface RawResponse {
  httpVersion: string;
  status: number;
  /** Lower-case names; a repeated header keeps its last value. */
  headers: Record<string, string>;
  /** The body after chunked decoding, if the server chose chunked encoding. */
  body: Buffer;
  /** Trailer fields after a chunked body (lower-case names). */
  trailers: Record<string, string>;
}

export interface RawRequest {
  method: string;
  path: string;
  httpVersion: '1.0' | '1.1';
  headers?: Record<string, string>;
}

function parseHeaderLines(lines: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

function decodeChunked(raw: Buffer): { body: Buffer; trailers: Record<string, string> } {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', offset);
    if (lineEnd < 0) throw new Error('truncated chunked body');
    const size = parseInt(raw.subarray(offset, lineEnd).toString('latin1'), 16);
    offset = lineEnd + 2;
    if (size === 0) break;
    parts.push(raw.subarray(offset, offset + size));
    offset += size + 2;
  }
  const trailerText = raw.subarray(offset).toString('latin1');
  return { body: Buffer.concat(parts), trailers: parseHeaderLines(trailerText.split('\r\n')) };
}

export function rawRequest(port: number, request: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      try {
        const raw = Buffer.concat(chunks);
        const headEnd = raw.indexOf('\r\n\r\n');
        if (headEnd < 0) throw new Error(`no complete response head (got ${raw.length} bytes)`);
        const [statusLine, ...headerLines] = raw.subarray(0, headEnd).toString('latin1').split('\r\n');
        const match = /^HTTP\/(\d\.\d) (\d{3})/.exec(statusLine);
        if (!match) throw new Error(`bad status line: ${statusLine}`);
        const headers = parseHeaderLines(headerLines);
        const rest = raw.subarray(headEnd + 4);
        const chunked = /chunked/i.test(headers['transfer-encoding'] ?? '');
        const decoded =
          chunked && request.method !== 'HEAD' ? decodeChunked(rest) : { body: rest, trailers: {} };
        resolve({ httpVersion: match[1], status: Number(match[2]), headers, ...decoded });
      } catch (err) {
        reject(err);
      }
    });
    const headers = { Host: `127.0.0.1:${port}`, Connection: 'close', ...request.headers };
    socket.write(
      `${request.method} ${request.path} HTTP/${request.httpVersion}\r\n` +
        Object.entries(headers)
          .map(([name, value]) => `${name}: ${value}\r\n`)
          .join('') +
        '\r\n',
    );
  });
}
