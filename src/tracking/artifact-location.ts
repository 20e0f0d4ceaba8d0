import { invalidParameter } from '../errors';

/**
 * A client-supplied experiment `artifact_location` (mlflow-compat.md §7). semreg always allocates
 * `mlflow-artifacts:/<experiment_id>` itself: any other scheme would make the client write straight to that
 * storage (or let a user point an experiment at someone else's files), so such values are refused. A value
 * that already is a plain `mlflow-artifacts:/…` location is accepted and ignored, because some scripts pass
 * the location they read from another semreg/MLflow server back in.
 */
function decodeUntilStable(value: string): string {
  let current = value;
  for (let i = 0; i < 10; i++) {
    let next: string;
    try {
      next = decodeURIComponent(current);
    } catch {
      return current;
    }
    if (next === current) return current;
    current = next;
  }
  return current;
}

export function checkClientArtifactLocation(location: string | undefined): void {
  if (location === undefined || location === '') return;
  const decoded = decodeUntilStable(location);
  const refuse = (why: string): never => {
    throw invalidParameter(
      `Invalid artifact_location '${location.slice(0, 200)}': ${why}. semreg allocates 'mlflow-artifacts:/<experiment_id>' itself; omit the field.`,
    );
  };
  if (/[\x00-\x1f]/.test(decoded)) refuse('control characters are not allowed');
  if (decoded.includes('#')) refuse("fragments ('#') are not allowed");
  if (decoded.includes(';')) refuse("parameters (';') are not allowed");
  if (decoded.includes('?')) refuse("queries ('?') are not allowed");
  if (decoded.includes('\\')) refuse('backslashes are not allowed');
  if (decoded.split('/').some((segment) => segment === '..')) refuse("'..' segments are not allowed");
  if (!/^mlflow-artifacts:\/(?!\/)/.test(decoded))
    refuse('only server-managed mlflow-artifacts:/ locations are accepted');
}
