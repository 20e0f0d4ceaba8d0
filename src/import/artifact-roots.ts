/**
 * Artifact roots. The source's are read through its artifact proxy, which serves `mlflow-artifacts:` roots
 * only (`mlflow-artifacts:/<path>` or, with a host, `mlflow-artifacts://host:port/<path>`); a run logged
 * straight to `s3://…` or a local path has no REST route to its bytes. semreg's roots are always
 * `mlflow-artifacts:/<path>`, whose store key is `<path>`.
 */
export function proxiedPath(artifactUri: string | undefined | null): string | undefined {
  if (!artifactUri) return undefined;
  const match = /^mlflow-artifacts:(?:\/\/[^/]*)?\/+(.*)$/s.exec(artifactUri);
  return match ? match[1].replace(/\/+$/, '') : undefined;
}

export function storeKeyOf(targetArtifactUri: string): string {
  const path = proxiedPath(targetArtifactUri);
  if (path === undefined) throw new Error(`unexpected semreg artifact root ${targetArtifactUri}`);
  return path;
}
