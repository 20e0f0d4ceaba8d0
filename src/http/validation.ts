import Ajv2020, { ErrorObject, ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { invalidParameter, missingParameter } from '../errors';
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
  body(body: Record<string, unknown>): void;
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

function describe(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text === undefined ? 'undefined' : text.length > 100 ? `${text.slice(0, 100)}…` : text;
}

function toError(errors: ErrorObject[] | null | undefined, data: unknown): Error {
  const first = errors?.[0];
  if (!first) return invalidParameter('Invalid request.');
  if (first.keyword === 'required') {
    const prefix = first.instancePath ? `${first.instancePath.slice(1).replace(/\//g, '.')}.` : '';
    return missingParameter(`${prefix}${(first.params as { missingProperty: string }).missingProperty}`);
  }
  const field = first.instancePath.slice(1).replace(/\//g, '.') || 'request';
  let value: unknown = data;
  for (const part of first.instancePath.split('/').slice(1))
    value = (value as Record<string, unknown>)?.[part];
  return invalidParameter(
    `Invalid value ${describe(value)} for parameter '${field}': ${first.message ?? 'invalid'}.`,
  );
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
    const properties: Record<string, object> = {};
    queryParams.forEach((param) => {
      const index = operation.parameters!.indexOf(param);
      properties[param.name] = {
        $ref: `${DOC_ID}${pointer('paths', route, method, 'parameters', String(index), 'schema')}`,
      };
    });
    const queryValidator: ValidateFunction = this.queryAjv.compile({
      type: 'object',
      properties,
      required: queryParams.filter((p) => p.required).map((p) => p.name),
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
        if (!queryValidator(query)) throw toError(queryValidator.errors, query);
      },
      body(body) {
        if (bodyValidator && !bodyValidator(body)) throw toError(bodyValidator.errors, body);
      },
    };
  }
}
