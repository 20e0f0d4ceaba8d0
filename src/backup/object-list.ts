import fs from 'node:fs';
import readline from 'node:readline';
import type { ArtifactStore } from '../storage/artifact-store';
import { pathInBackup, S3_OBJECT_LIST } from './backup-layout';

export interface ListedObject {
  readonly key: string;
  readonly size: number;
  readonly sha256: string;
}

/** The objects an S3-store backup expects the bucket to hold, one JSON line each. */
export async function* listedObjects(dir: string): AsyncGenerator<ListedObject> {
  const lines = readline.createInterface({ input: fs.createReadStream(pathInBackup(dir, S3_OBJECT_LIST)) });
  for await (const line of lines) if (line.trim()) yield JSON.parse(line) as ListedObject;
}

/**
 * The listed objects the store lacks, or holds with another size. The bytes themselves are the bucket's to
 * keep (versioning), so this reads only object metadata: a HEAD per object, no download.
 */
export async function missingObjects(store: ArtifactStore, dir: string): Promise<string[]> {
  const missing: string[] = [];
  for await (const object of listedObjects(dir)) {
    const found = await store.stat(object.key);
    if (!found || found.isDir || found.size !== object.size) missing.push(object.key);
  }
  return missing;
}
