import type { Config } from './config';
import type { Db } from './db/knex';
import type { Logger } from './log';

/**
 * What a request handler may reach: configuration, the database, the logger. Built once in `createApp`
 * and passed down, so nothing imports a global.
 */
export interface AppContext {
  readonly config: Config;
  readonly db: Db;
  readonly log: Logger;
}
