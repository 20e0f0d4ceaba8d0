import { Readable } from 'node:stream';
import { CreateMultipartUploadCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { runS3 } from '../../test/helpers/seaweedfs';
import { loadConfig } from '../config';
import { S3Store } from './s3-store';

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
});
