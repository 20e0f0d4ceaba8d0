/**
 * Who owns a key of the artifact store. The server allocates every prefix: `packages/<registered model id>/
 * <semver>/…` belongs to that registered model (the package registry writes it); everything else holds
 * experiment, run and logged-model artifacts (`<experiment id>/…`), which no registered model owns. Keys
 * reach here already normalised by the one path guard, so `%70ackages`, `./packages` or `//packages` are
 * `packages` by now.
 */
export const PACKAGE_ROOT = 'packages';

export type KeyOwner =
  /** `packages` itself, or a second level that is not a model id: no single model owns it. */
  | { kind: 'package-space' }
  /** `packages/<id>` or below. */
  | { kind: 'registered-model'; id: number; depth: number }
  | { kind: 'tracking' };

const MODEL_ID = /^[1-9][0-9]{0,15}$/;

export function ownerOfKey(key: string): KeyOwner {
  const segments = key.split('/').filter(Boolean);
  if (segments[0] !== PACKAGE_ROOT) return { kind: 'tracking' };
  if (segments.length === 1 || !MODEL_ID.test(segments[1])) return { kind: 'package-space' };
  return { kind: 'registered-model', id: Number(segments[1]), depth: segments.length };
}
