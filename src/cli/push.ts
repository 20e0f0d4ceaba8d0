import path from 'node:path';
import type { SemregClient } from './client';
import { CliError, EXIT } from './exit-codes';

/**
 * `semreg push <model>/<semver> <files…>`: uploads each file to the package registry
 * (`PUT /api/packages/<model>/<semver>/<path>`), with the CI job headers so the files, the version and the
 * events name the job that produced them. The remote path is the file's name, or its relative path with
 * --keep-paths.
 */
export async function pushFiles(
  client: SemregClient,
  ref: string,
  files: string[],
  options: { keepPaths: boolean; log: (line: string) => void },
): Promise<void> {
  const slash = ref.indexOf('/');
  if (slash <= 0 || slash === ref.length - 1)
    throw new CliError(`Invalid reference '${ref}': expected <model>/<semver>.`, EXIT.USAGE);
  const model = ref.slice(0, slash);
  const semver = ref.slice(slash + 1);
  for (const file of files) {
    const remote = options.keepPaths ? path.normalize(file).split(path.sep).join('/') : path.basename(file);
    if (remote.startsWith('/') || remote.split('/').includes('..')) {
      throw new CliError(
        `--keep-paths needs relative paths inside the current directory, got '${file}'.`,
        EXIT.USAGE,
      );
    }
    const encoded = remote.split('/').map(encodeURIComponent).join('/');
    const { status, body } = await client.upload(
      `/api/packages/${encodeURIComponent(model)}/${encodeURIComponent(semver)}/${encoded}`,
      file,
    );
    const sha = body?.file?.sha256 ?? '';
    options.log(`${status === 201 ? 'uploaded' : 'unchanged'} ${remote} ${sha}`.trim());
  }
}
