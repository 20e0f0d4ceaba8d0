import { CliError, EXIT } from './exit-codes';

/**
 * `semreg get` references: `model` (latest), `model@alias`, `model/<semver or range>`, `model:<stage>`.
 * Registered-model names cannot contain '/' or ':' (semreg refuses them), so those split unambiguously; an
 * alias is split off at the last '@', as MLflow's client does for `models:/name@alias`.
 */
export interface ModelRef {
  model: string;
  selector: { alias?: string; semver?: string; range?: string; stage?: string; version?: string };
}

const STRICT_SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

export function parseModelRef(ref: string): ModelRef {
  const bad = (why: string): CliError =>
    new CliError(`Invalid model reference '${ref}': ${why}.`, EXIT.USAGE);
  const colon = ref.indexOf(':');
  if (colon >= 0) {
    const [model, stage] = [ref.slice(0, colon), ref.slice(colon + 1)];
    if (!model || !stage) throw bad('expected <model>:<stage>');
    return { model, selector: { stage } };
  }
  const slash = ref.indexOf('/');
  if (slash >= 0) {
    const [model, version] = [ref.slice(0, slash), ref.slice(slash + 1)];
    if (!model || !version) throw bad('expected <model>/<semver or range>');
    if (/^v\d/.test(version)) throw bad("no 'v' prefix: write 1.2.0");
    return { model, selector: STRICT_SEMVER.test(version) ? { semver: version } : { range: version } };
  }
  const at = ref.lastIndexOf('@');
  if (at > 0) return { model: ref.slice(0, at), selector: { alias: ref.slice(at + 1) } };
  if (!ref) throw bad('it is empty');
  return { model: ref, selector: {} };
}
