import fs from 'node:fs';
import type { EmbeddedDatabase } from '../../src/db/embedded-postgres';
import type { SeaweedFs } from './seaweedfs';

export default async function globalTeardown(): Promise<void> {
  const state = globalThis as Record<string, unknown>;
  await (state.__SEMREG_TEST_S3__ as SeaweedFs | undefined)?.stop();
  const pg = state.__SEMREG_TEST_PG__ as { server: EmbeddedDatabase; dir: string } | undefined;
  await pg?.server.stop();
  const scratch = state.__SEMREG_TEST_SCRATCH__ as string | undefined;
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
}
