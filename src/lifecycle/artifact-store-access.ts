import type { AppContext } from '../app-context';
import type { ArtifactStore } from '../storage/artifact-store';
import { LocalDiskStore } from '../storage/local-disk-store';

/**
 * The artifact store signed downloads read from: the app's own (`AppContext.storage`) once the storage layer
 * provides one, else a local-disk store opened once per artifact root. Reads only; the store guards paths.
 */
const opened = new Map<string, Promise<ArtifactStore>>();

export function artifactStoreOf(app: AppContext): Promise<ArtifactStore> {
  const own = (app as AppContext & { storage?: ArtifactStore }).storage;
  if (own) return Promise.resolve(own);
  let store = opened.get(app.config.artifactRoot);
  if (!store) {
    store = LocalDiskStore.open(app.config.artifactRoot);
    opened.set(app.config.artifactRoot, store);
  }
  return store;
}
