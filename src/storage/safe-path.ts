import type { Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { MlflowError } from '../errors';

/**
 * The one path guard for every user-supplied artifact or package path (mlflow-compat.md §7, issue 6).
 * MLflow's CVEs came from decoding once, validating one variable and using another, and from symlinks:
 * callers use only the value returned here, and `resolveSafePath` + `assertInsideRealRoot` confine it.
 */

/** MLflow's `validate_path_is_safe` decodes up to 10 rounds; more than that is an attack, not a file name. */
const MAX_DECODE_ROUNDS = 10;
/** Linux NAME_MAX and PATH_MAX: longer names would fail inside the file system with a 500 otherwise. */
const MAX_SEGMENT_BYTES = 255;
const MAX_PATH_BYTES = 4096;

// C0 controls, DEL and C1 controls. Rejected rather than stripped: stripping a tab is exactly what turns
// `%2%0952e` into `%252e` and then into `.` (the MLflow bypass), and no artifact name needs them.
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;
const PERCENT_RUN = /(?:%[0-9A-Fa-f]{2})+/g;
const DRIVE_LETTER = /^[A-Za-z]:/;
// With the `u` flag this matches only unpaired surrogates (a JSON body can carry `"\ud800"`).
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
// U+FFFD is what a lenient decoder upstream (Node's query-string parser) makes of invalid or overlong UTF-8
// such as `%C0%AE`: refuse it like the bytes it replaced.
const REPLACEMENT_CHAR = '\uFFFD';
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The message is the reference's exact "Invalid path" (`validate_path_is_safe`; MLflow's UI and tests compare
 * it whole); which path and which rule travel in the error's `details`.
 */
function reject(raw: string, rule: string): MlflowError {
  const shown = JSON.stringify(raw.length > 200 ? `${raw.slice(0, 200)}…` : raw);
  const error = new MlflowError('INVALID_PARAMETER_VALUE', 'Invalid path');
  error.details = `${shown}: ${rule}.`;
  return error;
}

/**
 * One round of percent-decoding. Unlike `decodeURIComponent` it leaves a stray `%` alone (so `%2%09` does
 * not throw) and decodes byte runs as strict UTF-8: overlong forms such as `%C0%AE` (a disguised `.`) and
 * invalid sequences are refused instead of becoming U+FFFD.
 */
function decodeOnce(value: string, raw: string): string {
  return value.replace(PERCENT_RUN, (run) => {
    const bytes = Uint8Array.from(run.slice(1).split('%'), (hex) => parseInt(hex, 16));
    try {
      return utf8.decode(bytes);
    } catch {
      throw reject(raw, 'it contains invalid or overlong UTF-8');
    }
  });
}

function decodeUntilStable(raw: string): string {
  let value = raw;
  for (let round = 0; round <= MAX_DECODE_ROUNDS; round += 1) {
    if (CONTROL_CHARS.test(value)) throw reject(raw, 'control characters (including NUL) are not allowed');
    if (LONE_SURROGATE.test(value)) throw reject(raw, 'it contains invalid UTF-16');
    if (value.includes(REPLACEMENT_CHAR)) throw reject(raw, 'it contains invalid or overlong UTF-8');
    const next = decodeOnce(value, raw);
    if (next === value) return value;
    value = next;
  }
  throw reject(raw, `it is still percent-encoded after ${MAX_DECODE_ROUNDS} rounds of decoding`);
}

/**
 * Turns a raw, possibly percent-encoded path into a clean relative POSIX path ('' for the root), or throws
 * 400 INVALID_PARAMETER_VALUE. `..` segments are refused (not resolved), so `a/../b` is an error rather than
 * `b`; `.` segments and repeated slashes are collapsed; `....` is an ordinary name. The result is a fixed
 * point: normalising it again returns it unchanged.
 */
export function normaliseRelativePath(raw: string): string {
  const decoded = decodeUntilStable(raw);
  if (decoded.includes('\\')) throw reject(raw, 'backslashes are not allowed');
  if (decoded.includes('#')) throw reject(raw, "'#' is not allowed");
  if (decoded.startsWith('/')) throw reject(raw, 'absolute paths are not allowed');
  if (DRIVE_LETTER.test(decoded)) throw reject(raw, 'drive letters are not allowed');
  const segments = decoded.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) throw reject(raw, "'..' segments are not allowed");
  if (segments.some((segment) => Buffer.byteLength(segment) > MAX_SEGMENT_BYTES)) {
    throw reject(raw, `a path segment is longer than ${MAX_SEGMENT_BYTES} bytes`);
  }
  const clean = segments.join('/');
  if (Buffer.byteLength(clean) > MAX_PATH_BYTES)
    throw reject(raw, `it is longer than ${MAX_PATH_BYTES} bytes`);
  return clean;
}

/**
 * Normalises `rel` and resolves it under `root`, checking lexically that the result stays inside. This is
 * the only function that turns a user path into a file system path.
 */
export function resolveSafePath(root: string, rel: string): string {
  const base = path.resolve(root);
  const clean = normaliseRelativePath(rel);
  const target = path.resolve(base, clean);
  if (target !== base && !target.startsWith(base + path.sep)) throw reject(rel, 'it leaves the storage root');
  return target;
}

async function realpathOrUndefined(target: string): Promise<string | undefined> {
  try {
    return await fs.realpath(target);
  } catch (err) {
    if (
      (err as NodeJS.ErrnoException).code === 'ENOENT' ||
      (err as NodeJS.ErrnoException).code === 'ENOTDIR'
    ) {
      return undefined;
    }
    throw err;
  }
}

async function lstatOrUndefined(target: string): Promise<Stats | undefined> {
  try {
    return await fs.lstat(target);
  } catch {
    return undefined;
  }
}

/** How often a path that appears between two checks (a concurrent upload creating it) is looked at again. */
const MAX_RECHECKS = 10;

/**
 * Guards against symlinks planted inside the root that point outside it: the deepest existing part of
 * `target` (itself, or the nearest existing ancestor for a file about to be written) must resolve inside
 * the real root. A dangling symlink is refused too, since writing through it would create the file at its
 * destination.
 */
export async function assertInsideRealRoot(root: string, target: string): Promise<void> {
  const realRoot = (await realpathOrUndefined(root)) ?? path.resolve(root);
  let current = target;
  let rechecks = 0;
  for (;;) {
    const real = await realpathOrUndefined(current);
    if (real !== undefined) {
      if (real !== realRoot && !real.startsWith(realRoot + path.sep)) {
        throw reject(
          path.relative(root, target),
          'it resolves outside the storage root through a symbolic link',
        );
      }
      return;
    }
    const stats = await lstatOrUndefined(current);
    if (stats?.isSymbolicLink()) {
      throw reject(path.relative(root, target), 'it goes through a dangling symbolic link');
    }
    // Missing a moment ago, there now: another upload just created it. Look at it again.
    if (stats && rechecks++ < MAX_RECHECKS) continue;
    const parent = path.dirname(current);
    if (parent === current) return;
    current = parent;
  }
}
