import { MlflowError } from '../errors';

/**
 * No MLflow or semreg request nests deeper than a handful of levels (log-batch: body → metrics → metric;
 * logged-model search: body → order_by → entry). Deeper JSON is an attack on every recursive walk after the
 * parser (null stripping, ajv), which would overflow the stack and answer 500. Checked without recursion.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * A `\ud800` escape with no partner: JSON allows it, but PostgreSQL stores it as U+FFFD, so `"\ud800"` would
 * be saved as another name than the one sent, and `"\udfff"` would then collide with it.
 */
const LONE_SURROGATE = /\p{Surrogate}/u;

function refuseIllFormed(text: string): void {
  if (LONE_SURROGATE.test(text))
    throw new MlflowError(
      'INVALID_PARAMETER_VALUE',
      'The JSON body has a string with an unpaired UTF-16 surrogate (\\ud800–\\udfff).',
    );
}

/** Refuses a parsed body nested deeper than `max` levels or holding a string (or key) that is not Unicode. */
export function assertJsonShape(root: unknown, max = MAX_JSON_DEPTH): void {
  const stack: Array<[unknown, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (typeof value === 'string') refuseIllFormed(value);
    if (value === null || typeof value !== 'object') continue;
    if (depth > max)
      throw new MlflowError('INVALID_PARAMETER_VALUE', `The JSON body is nested deeper than ${max} levels.`);
    for (const [key, child] of Object.entries(value as object)) {
      refuseIllFormed(key);
      if (typeof child === 'string') refuseIllFormed(child);
      else if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
}
