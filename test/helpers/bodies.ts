import type { Response } from 'superagent';

type Parser = (res: Response, done: (err: Error | null, body: unknown) => void) => void;

/**
 * A supertest parser for routes that answer a file or a JSON error: the body is kept as bytes whatever the
 * file's content type, and parsed when it is JSON (an error). Use as `.buffer(true).parse(bytesOrJson)`.
 */
export const bytesOrJson: Parser = (res, done) => {
  const chunks: Buffer[] = [];
  const stream = res as unknown as NodeJS.ReadableStream;
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('end', () => {
    const bytes = Buffer.concat(chunks);
    const json = /^application\/json/.test(String(res.headers['content-type']));
    done(null, json ? JSON.parse(bytes.toString()) : bytes);
  });
};
