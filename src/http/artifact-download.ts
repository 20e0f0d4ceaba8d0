import type { Request, Response } from 'express';
import type { AppContext } from '../app-context';
import { notFound } from '../errors';
import { findStoredFile } from '../storage/stored-files';
import { sendFile } from './send-file';

/**
 * Downloads of artifacts by store key (the `mlflow-artifacts` proxy and the UI's get-artifact routes): the
 * size and time from the store, the sha256 recorded when the file was stored. The caller has authorized the
 * key's owner (`storage-access.ts`).
 */
export async function sendArtifact(req: Request, res: Response, app: AppContext, key: string): Promise<void> {
  const entry = await app.storage.stat(key);
  if (!entry || entry.isDir) throw notFound(`No artifact at path '${key}'.`);
  const recorded = await findStoredFile(app.db, key);
  await sendFile(req, res, app, {
    key,
    size: entry.size,
    lastModified: entry.mtime,
    sha256: recorded?.size === entry.size ? recorded.sha256 : undefined,
    type: 'guess',
  });
}
