import type { Config } from './config';
import type { Db } from './db/knex';
import type { Logger } from './log';
import type { ArtifactStore } from './storage/artifact-store';

/**
 * What a request handler may reach: configuration, the database, the logger. Built once in `createApp`
 * and passed down, so nothing imports a global.
 */
export interface AppContext {
  readonly config: Config;
  readonly db: Db;
  readonly log: Logger;
  /** Bytes of artifacts and package files (local disk under `config.artifactRoot`). */
  readonly storage: ArtifactStore;
}
