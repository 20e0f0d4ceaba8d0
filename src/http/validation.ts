import Ajv2020, { ErrorObject, ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { isLosslessNumber, parse as parseLossless } from 'lossless-json';
import { invalidParameter, invalidValue, missingParameter, SEE_API_DOCS } from '../errors';
import { pythonTypeName } from '../python-json';
import { loadOpenApiDocument, OpenApiOperation } from '../openapi';

/**
 * Request validators compiled with ajv from the same OpenAPI document the types are generated from.
 * Bodies are validated as sent (no coercion: a string is not silently a number); query strings are
 * coerced, because every GET value arrives as text and a single repeated key arrives as a plain string
 * (mlflow-compat.md §1.2).
 */
const DOC_ID = 'openapi.json';

export interface OperationValidator {
  /** Validates and normalises in place; throws MlflowError INVALID_PARAMETER_VALUE. */
  query(query: Record<string, unknown>): void;
  /** `raw` is the body as received, read only to quote a refused number as it was sent. */
  body(body: Record<string, unknown>, raw?: Buffer): void;
}

function pointer(...segments: string[]): string {
  return '#/' + segments.map((s) => s.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
}

function createAjv(coerce: boolean): Ajv2020 {
  const ajv = new Ajv2020({
    strict: false,
    allErrors: false,
    coerceTypes: coerce ? 'array' : false,
    useDefaults: false,
  });
  addFormats(ajv);
  ajv.addSchema(loadOpenApiDocument(), DOC_ID);
  return ajv;
}

/** ajv's `/metrics/0/timestamp` as MLflow names it: `metrics[0].timestamp`. */
function fieldName(instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').slice(1);
  if (extra !== undefined) parts.push(extra);
  return parts
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((name, part) => (/^\d+$/.test(part) ? `${name}[${part}]` : name ? `${name}.${part}` : part), '');
}

/**
 * A number's text as the client sent it (`9.0` stays a float in the message, as in Python), read back from
 * the raw body only when a refusal names a number.
 */
function numberLiteral(raw: Buffer | undefined, instancePath: string): string | undefined {
  if (!raw) return undefined;
  try {
    let node: unknown = parseLossless(raw.toString('utf8').replace(/^\uFEFF/, ''));
    for (const part of instancePath.split('/').slice(1))
      node = (node as Record<string, unknown>)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    return isLosslessNumber(node) ? node.value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * ajv's first error in MLflow's words (mlflow/server/handlers.py `_validate_param_against_schema`):
 * "Missing value for required parameter 'x'." or "Invalid value 31 for parameter 'run_id' supplied:  Hint:
 * Value was of type 'int'.", both followed by the reference's pointer to the API docs.
 */
function toError(errors: ErrorObject[] | null | undefined, data: unknown, raw?: Buffer): Error {
  const first = errors?.[0];
  if (!first) return invalidParameter('Invalid request.');
  if (first.keyword === 'required') {
    const missing = (first.params as { missingProperty: string }).missingProperty;
    return missingParameter(fieldName(first.instancePath, missing));
  }
  const field = fieldName(first.instancePath) || 'request';
  let value: unknown = data;
  for (const part of first.instancePath.split('/').slice(1))
    value = (value as Record<string, unknown>)?.[part];
  const literal = typeof value === 'number' ? numberLiteral(raw, first.instancePath) : undefined;
  const detail =
    first.keyword === 'type'
      ? // The reference's own two spaces: invalid_value(param, value, " Hint: …") after "supplied: ".
        ` Hint: Value was of type '${pythonTypeName(value, literal)}'.`
      : `${first.message ?? 'invalid'}.`;
  const error = invalidValue(field, value, detail, literal);
  error.message += SEE_API_DOCS;
  return error;
}

/** Python's `str(True)` is `True`; ajv only coerces lower-case booleans. */
function lowerCaseBooleans(query: Record<string, unknown>, booleans: Set<string>): void {
  for (const name of booleans) {
    const value = query[name];
    if (typeof value === 'string') query[name] = value.toLowerCase();
  }
}

function isBooleanSchema(schema: unknown): boolean {
  return (schema as { type?: unknown })?.type === 'boolean';
}

export class ValidatorRegistry {
  private readonly bodyAjv = createAjv(false);
  private readonly queryAjv = createAjv(true);
  /** Where each operation sits in the document; validators are compiled on first use and kept. */
  private readonly locations = new Map<
    string,
    { route: string; method: string; operation: OpenApiOperation }
  >();
  private readonly compiled = new Map<string, OperationValidator>();

  constructor() {
    const doc = loadOpenApiDocument();
    for (const [route, methods] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        if (!operation?.operationId) continue;
        this.locations.set(operation.operationId, { route, method, operation });
      }
    }
  }

  /**
   * Compiles lazily: the `/ajax-api` mirror operations exist in the document but are served by the same
   * route table (and validators) as `/api`, so compiling everything up front would double start-up work.
   */
  get(operationId: string): OperationValidator {
    let validator = this.compiled.get(operationId);
    if (!validator) {
      const location = this.locations.get(operationId);
      if (!location) throw new Error(`operation ${operationId} is not in the OpenAPI document`);
      validator = this.compile(location.route, location.method, location.operation);
      this.compiled.set(operationId, validator);
    }
    return validator;
  }

  private compile(route: string, method: string, operation: OpenApiOperation): OperationValidator {
    const queryParams = (operation.parameters ?? []).filter((p) => p.in === 'query');
    const booleans = new Set(queryParams.filter((p) => isBooleanSchema(p.schema)).map((p) => p.name));
    // One validator per parameter, run in the order the operation declares them: the reference checks a
    // request field by field (required, then type, then range), so the first field in error is the one named.
    const queryValidators: ValidateFunction[] = queryParams.map((param) => {
      const index = operation.parameters!.indexOf(param);
      return this.queryAjv.compile({
        type: 'object',
        properties: {
          [param.name]: {
            $ref: `${DOC_ID}${pointer('paths', route, method, 'parameters', String(index), 'schema')}`,
          },
        },
        required: param.required ? [param.name] : [],
      });
    });

    // A request body may be shared through `$ref: '#/components/requestBodies/X'`; unresolved, such operations
    // would run with no body validation at all (found by the fuzzer: `{"experiment_id": {}}` reached the handler).
    const bodyRef = (operation.requestBody as { $ref?: string } | undefined)?.$ref;
    const bodyLocation = bodyRef
      ? bodyRef.replace(/^#\//, '').split('/')
      : ['paths', route, method, 'requestBody'];
    const requestBody = bodyRef
      ? (bodyLocation.reduce<unknown>(
          (node, key) => (node as Record<string, unknown>)?.[key],
          loadOpenApiDocument(),
        ) as OpenApiOperation['requestBody'])
      : operation.requestBody;
    const bodySchema = requestBody?.content?.['application/json']?.schema;
    const bodyValidator: ValidateFunction | undefined = bodySchema
      ? this.bodyAjv.compile({
          $ref: `${DOC_ID}${pointer(...bodyLocation, 'content', 'application/json', 'schema')}`,
        })
      : undefined;

    return {
      query(query) {
        lowerCaseBooleans(query, booleans);
        for (const validate of queryValidators) if (!validate(query)) throw toError(validate.errors, query);
      },
      body(body, raw) {
        if (bodyValidator && !bodyValidator(body)) throw toError(bodyValidator.errors, body, raw);
      },
    };
  }
}
