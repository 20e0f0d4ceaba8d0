import type { Request } from 'express';
import type { AppContext } from '../app-context';
import { permissionDenied } from '../auth/authorize';
import type { ListedEntry } from '../storage/artifact-store';
import { ownerOfKey, PACKAGE_ROOT } from '../storage/key-space';
import { mayAccess, requireAccess } from './middleware/auth';

/**
 * Reading through a storage location authorizes the owner of the location actually read, whichever route
 * got there: the artifact proxy, a model version's files (whose `source` may name another model's
 * version), download links. A package folder (`packages/<id>/…`) belongs to that registered model; package
 * storage as a whole belongs to no single model, so only a token without a model restriction reads it;
 * everything else (experiments, runs, logged models) needs the read scope only.
 */
async function modelNamesById(app: AppContext, ids: number[]): Promise<Map<number, string>> {
  if (ids.length === 0) return new Map();
  const rows: Array<{ id: number; name: string }> = await app
    .db('registered_models')
    .whereIn('id', ids)
    .select('id', 'name');
  return new Map(rows.map((row) => [row.id, row.name]));
}

function isRestricted(req: Request, app: AppContext): boolean {
  return app.config.authEnabled && (req.principal?.models.length ?? 0) > 0;
}

export async function requireStorageRead(req: Request, app: AppContext, key: string): Promise<void> {
  if (!app.config.authEnabled) return;
  requireAccess(req, app, { scope: 'read' });
  const owner = ownerOfKey(key);
  if (owner.kind === 'tracking' || !isRestricted(req, app)) return;
  const name =
    owner.kind === 'registered-model' ? (await modelNamesById(app, [owner.id])).get(owner.id) : undefined;
  if (name === undefined)
    throw permissionDenied(
      'This token is restricted to models; this storage location belongs to none of them.',
    );
  requireAccess(req, app, { scope: 'read', models: [name] });
}

/**
 * Listing a key: like reading it, except that the listing of package storage itself is open to every reader
 * and shows a restricted token only the folders of models it may read (`visibleEntries`).
 */
export async function requireStorageList(req: Request, app: AppContext, key: string): Promise<void> {
  if (key === PACKAGE_ROOT) requireAccess(req, app, { scope: 'read' });
  else await requireStorageRead(req, app, key);
}

/** A listing of `packages` shows a restricted token only the folders of models it may read. */
export async function visibleEntries(
  req: Request,
  app: AppContext,
  key: string,
  entries: ListedEntry[],
): Promise<ListedEntry[]> {
  if (key !== PACKAGE_ROOT || !isRestricted(req, app)) return entries;
  const ids = entries.map((entry) => Number(entry.name)).filter((id) => Number.isSafeInteger(id) && id > 0);
  const names = await modelNamesById(app, ids);
  return entries.filter((entry) => {
    const name = names.get(Number(entry.name));
    return (
      name !== undefined &&
      String(Number(entry.name)) === entry.name &&
      mayAccess(req, app, { scope: 'read', models: [name] })
    );
  });
}
