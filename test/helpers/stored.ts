import fs from 'node:fs';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { TestApp } from './test-app';
import { runS3 } from './seaweedfs';

/**
 * What a test app's artifact store holds, seen through the store (so the same assertions hold on local disk
 * and on S3) or, for leftovers of unfinished uploads, behind its back.
 */
export const usesS3 = (t: TestApp): boolean => t.config.artifactsDestination !== undefined;

export async function storedText(t: TestApp, key: string): Promise<string> {
  return text((await t.ctx.storage.get(key)).stream);
}

export async function isStored(t: TestApp, key: string): Promise<boolean> {
  return (await t.ctx.storage.stat(key)) !== undefined;
}

/** Every file key below `prefix`, recursively. */
export async function storedKeysBelow(t: TestApp, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for (const entry of await t.ctx.storage.list(prefix)) {
    const key = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDir) keys.push(...(await storedKeysBelow(t, key)));
    else keys.push(key);
  }
  return keys;
}

/** Unfinished uploads: temporary files on local disk, multipart uploads and temp objects on S3. */
export async function leftoverUploads(t: TestApp): Promise<string[]> {
  const destination = t.config.artifactsDestination;
  if (!destination) {
    const tmp = path.join(t.config.artifactRoot, '.tmp');
    return fs
      .readdirSync(tmp, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => e.name);
  }
  const client = runS3().client();
  try {
    const Bucket = destination.bucket;
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket }));
    const temp = await client.send(
      new ListObjectsV2Command({ Bucket, Prefix: `${destination.prefix}/.tmp/` }),
    );
    return [
      ...(uploads.Uploads ?? []).map((upload) => `multipart ${upload.Key}`),
      ...(temp.Contents ?? []).map((object) => object.Key!),
    ];
  } finally {
    client.destroy();
  }
}
