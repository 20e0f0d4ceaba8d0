/** The sha256 the package registry lists for each file of a version (`GET /api/packages/<m>/<semver>`). */
export async function listedSha256s(versionUrl: string): Promise<Map<string, string>> {
  const listing = (await fetch(versionUrl).then((r) => r.json())) as {
    files?: Array<{ path: string; sha256: string }>;
  };
  return new Map((listing.files ?? []).map((f) => [f.path, f.sha256]));
}
