import net from 'node:net';
import { Readable } from 'node:stream';
import { CreateMultipartUploadCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { runS3 } from '../../test/helpers/seaweedfs';
import { loadConfig } from '../config';
import { S3Store } from './s3-store';

const MiB = 1024 * 1024;

/** A body the test ends by hand, which tells whether the upload has started reading it. */
function heldBody() {
  let read = false;
  const stream = new Readable({
    read() {
      read = true;
    },
  });
  return {
    stream,
    started: () => read,
    finish(text: string) {
      stream.push(text);
      stream.push(null);
    },
  };
}

async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 20) {
    if (waited > 10_000) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The S3 store's own duties beyond the shared contract (artifact-store.contract.test.ts). */
describe('S3Store', () => {
  const s3 = runS3();

  it('aborts unfinished multipart uploads older than the cut-off below its prefix, and only those', async () => {
    const bucket = await s3.newBucket('sweep');
    const store = S3Store.open(loadConfig(s3.env(bucket, 'semreg')).artifactsDestination!);
    const client = s3.client();
    try {
      for (const Key of ['semreg/1/run/artifacts/crashed.bin', 'other-tool/upload.bin'])
        await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key }));
      const pending = async () =>
        ((await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? [])
          .map((upload) => upload.Key)
          .sort();

      await store.cleanTemporaryFiles(); // an hour's grace: a live upload may still be running
      expect(await pending()).toEqual(['other-tool/upload.bin', 'semreg/1/run/artifacts/crashed.bin']);
      await store.cleanTemporaryFiles(0);
      expect(await pending()).toEqual(['other-tool/upload.bin']);
      // The store still works after the sweep.
      await store.put('1/run/artifacts/ok.txt', Readable.from([Buffer.from('ok')]), { maxBytes: 10 });
      expect((await store.stat('1/run/artifacts/ok.txt'))?.size).toBe(2);
    } finally {
      client.destroy();
      store.close();
    }
  });

  it('answers 503 when the store takes connections and never answers, instead of hanging', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    const env = {
      ARTIFACTS_DESTINATION: 's3://silent/semreg',
      S3_ENDPOINT_URL: `http://127.0.0.1:${port}`,
      AWS_ACCESS_KEY_ID: 'id',
      AWS_SECRET_ACCESS_KEY: 'secret',
    };
    const store = S3Store.open(loadConfig(env).artifactsDestination!, { answerWaitMs: 300 });
    try {
      await expect(store.stat('1/run/artifacts/model.pkl')).rejects.toMatchObject({
        errorCode: 'TEMPORARILY_UNAVAILABLE',
        status: 503,
      });
      expect(sockets.length).toBeGreaterThan(0);
    } finally {
      store.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  describe('part buffers (S3_UPLOAD_BUFFER_BYTES)', () => {
    /** A store whose uploads may hold 30 MiB of parts together: one upload of 5 MiB parts at a time. */
    async function oneUploadAtATime(uploadWaitMs?: number) {
      const bucket = await s3.newBucket('buffers');
      const env = { ...s3.env(bucket, 'semreg'), S3_UPLOAD_BUFFER_BYTES: String(30 * MiB) };
      return S3Store.open(loadConfig(env).artifactsDestination!, { uploadWaitMs });
    }
    /** Files up to 64 MiB: each upload reserves its full 30 MiB. */
    const large = { maxBytes: 64 * MiB };

    it('makes the next upload wait, unread, until one in progress gives its share back', async () => {
      const store = await oneUploadAtATime();
      try {
        const first = heldBody();
        const firstPut = store.put('1/first.txt', first.stream, large);
        await until(first.started);
        const second = heldBody();
        const secondPut = store.put('1/second.txt', second.stream, large);
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect(second.started()).toBe(false);

        first.finish('1');
        await expect(firstPut).resolves.toMatchObject({ size: 1 });
        await until(second.started);
        second.finish('22');
        await expect(secondPut).resolves.toMatchObject({ size: 2 });
        expect((await store.stat('1/second.txt'))?.size).toBe(2);
      } finally {
        store.close();
      }
    });

    it('refuses an upload still waiting after the wait with 503, and the store goes on', async () => {
      const store = await oneUploadAtATime(300);
      try {
        const first = heldBody();
        const firstPut = store.put('1/first.txt', first.stream, large);
        await until(first.started);
        const second = heldBody();
        await expect(store.put('1/second.txt', second.stream, large)).rejects.toMatchObject({
          errorCode: 'TEMPORARILY_UNAVAILABLE',
          status: 503,
          message: expect.stringContaining('S3_UPLOAD_BUFFER_BYTES'),
        });
        expect(second.started()).toBe(false);
        expect(await store.stat('1/second.txt')).toBeUndefined();

        first.finish('1');
        await expect(firstPut).resolves.toMatchObject({ size: 1 });
        // The refused upload's place in line was given back: the next one gets the buffers.
        await store.put('1/third.txt', Readable.from([Buffer.from('333')]), large);
        expect((await store.stat('1/third.txt'))?.size).toBe(3);
      } finally {
        store.close();
      }
    });

    it('stops waiting when the client goes away, and gives the place in line back', async () => {
      const store = await oneUploadAtATime();
      try {
        const first = heldBody();
        const firstPut = store.put('1/first.txt', first.stream, large);
        await until(first.started);
        const disconnect = new AbortController();
        const second = heldBody();
        const secondPut = store.put('1/second.txt', second.stream, { ...large, signal: disconnect.signal });
        await new Promise((resolve) => setTimeout(resolve, 100));
        disconnect.abort();
        await expect(secondPut).rejects.toMatchObject({ errorCode: 'BAD_REQUEST', status: 400 });
        expect(second.started()).toBe(false);

        first.finish('1');
        await firstPut;
        await store.put('1/third.txt', Readable.from([Buffer.from('333')]), large);
        expect((await store.stat('1/third.txt'))?.size).toBe(3);
        expect(await store.stat('1/second.txt')).toBeUndefined();
      } finally {
        store.close();
      }
    });

    it('lets a file that declares a small size past an upload that holds most of the buffers', async () => {
      const bucket = await s3.newBucket('declared');
      const env = { ...s3.env(bucket, 'semreg'), S3_UPLOAD_BUFFER_BYTES: String(32 * MiB) };
      const store = S3Store.open(loadConfig(env).artifactsDestination!);
      try {
        const first = heldBody();
        const firstPut = store.put('1/first.bin', first.stream, large);
        await until(first.started);
        const declared = heldBody();
        const declaredPut = store.put('1/small.txt', declared.stream, { ...large, declaredBytes: 5 });
        await until(declared.started);
        const undeclared = heldBody();
        const undeclaredPut = store.put('1/undeclared.txt', undeclared.stream, large);
        declared.finish('small');
        await expect(declaredPut).resolves.toMatchObject({ size: 5 });
        expect(undeclared.started()).toBe(false);

        first.finish('1');
        await firstPut;
        await until(undeclared.started);
        undeclared.finish('22');
        await expect(undeclaredPut).resolves.toMatchObject({ size: 2 });
      } finally {
        store.close();
      }
    });

    it('lets one upload through at a time when the allowance is smaller than its parts', async () => {
      const bucket = await s3.newBucket('tiny');
      const env = { ...s3.env(bucket, 'semreg'), S3_UPLOAD_BUFFER_BYTES: '1' };
      const store = S3Store.open(loadConfig(env).artifactsDestination!);
      try {
        const file = Buffer.alloc(12 * MiB, 7);
        await store.put('1/big.bin', Readable.from([file]), { maxBytes: 64 * MiB });
        expect((await store.stat('1/big.bin'))?.size).toBe(file.length);
      } finally {
        store.close();
      }
    });
  });
});
