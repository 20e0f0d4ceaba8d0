import { invalidParameter } from '../errors';
import { validateModelName } from '../registry/validation';
import { formatSemver, parseSemver, SemverParts } from '../registry/semver';
import { PACKAGE_ROOT } from '../storage/key-space';
import { normaliseRelativePath } from '../storage/safe-path';

/**
 * Where a package file lives: `<model>/<semver>/<path>` in the URL, `packages/<registered_model_id>/<semver>/
 * <path>` in storage. The version's MLflow `source` is `mlflow-artifacts:/packages/<id>/<semver>`, so the
 * stock client's `download_artifacts("models:/m/1.4.0")` lists and fetches exactly the package's files through
 * the artifact proxy. The semver (not the integer version) names the folder because it is known before the
 * model version exists: files are streamed into place first and the version is created only once they are.
 */
export interface PackageCoordinates {
  name: string;
  semver: SemverParts;
}

export function parseCoordinates(model: string, semver: string): PackageCoordinates {
  return { name: validateModelName(model, 'model'), semver: parseSemver(semver) };
}

/** A file path inside a package, through the one path guard (no `..`, no absolute paths, decoded until stable). */
export function parsePackagePath(raw: string): string {
  const path = normaliseRelativePath(raw);
  if (path === '') throw invalidParameter('A package file needs a path, e.g. model.onnx or model/MLmodel.');
  return path;
}

export function packageDir(registeredModelId: number, semverText: string): string {
  return `${PACKAGE_ROOT}/${registeredModelId}/${semverText}`;
}

export function packageSource(registeredModelId: number, semverText: string): string {
  return `mlflow-artifacts:/${packageDir(registeredModelId, semverText)}`;
}

/** The semver the folder is named after: the version's own (with its build metadata, if any). */
export function semverText(parts: SemverParts): string {
  return formatSemver(parts);
}
