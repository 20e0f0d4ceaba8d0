import { getPackageVersion } from './packages';
import { quoted, searchModelVersions } from './registry';
import { ApiError, api, ok } from './client';
import type { ModelVersion } from './types';

/** Every version of a model, highest semver first, following page tokens up to `limit`. */
export async function allModelVersions(
  name: string,
  limit = 5000,
): Promise<{ versions: ModelVersion[]; truncated: boolean }> {
  const versions: ModelVersion[] = [];
  let pageToken: string | undefined;
  do {
    const page = await searchModelVersions({
      filter: `name = ${quoted(name)}`,
      order_by: ['semver DESC'],
      max_results: 1000,
      page_token: pageToken,
    });
    versions.push(...(page.model_versions ?? []));
    pageToken = page.next_page_token || undefined;
  } while (pageToken && versions.length < limit);
  return { versions, truncated: pageToken !== undefined };
}

/** Package versions with their file counts, by integer version; a model without packages has none (404). */
export async function packageFileCounts(name: string): Promise<Record<string, number>> {
  try {
    const list = await ok(api.GET('/api/packages/{model}', { params: { path: { model: name } } }));
    return Object.fromEntries(list.versions.map((v) => [v.version, v.file_count ?? 0]));
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return {};
    throw err;
  }
}

/** Total size of a package version's files. */
export async function packageSize(name: string, semver: string): Promise<number> {
  const found = await getPackageVersion(name, semver);
  return found.files.reduce((sum, file) => sum + file.size, 0);
}
