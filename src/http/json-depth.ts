import { MlflowError } from '../errors';

/**
 * No MLflow or semreg request nests deeper than a handful of levels (log-batch: body → metrics → metric;
 * logged-model search: body → order_by → entry). Deeper JSON is an attack on every recursive walk after the
 * parser (null stripping, ajv), which would overflow the stack and answer 500. Checked without recursion.
 */
export const MAX_JSON_DEPTH = 32;

export function assertJsonDepth(root: unknown, max = MAX_JSON_DEPTH): void {
  const stack: Array<[unknown, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth > max)
      throw new MlflowError('INVALID_PARAMETER_VALUE', `The JSON body is nested deeper than ${max} levels.`);
    for (const child of Object.values(value as object)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
}
