import fs from 'node:fs';
import path from 'node:path';

/**
 * The bundled OpenAPI document (`npm run gen` builds `schemas/openapi.json` from the parts in
 * `schemas/src/`). It is the single source of the wire format: served at /api/openapi.json, compiled into
 * ajv validators, and turned into TypeScript types.
 */
export interface OpenApiOperation {
  operationId: string;
  parameters?: Array<{ name: string; in: string; required?: boolean; schema?: object }>;
  requestBody?: { required?: boolean; content: Record<string, { schema: object }> };
}

export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: Record<string, unknown>;
}

let cached: OpenApiDocument | undefined;

export function loadOpenApiDocument(): OpenApiDocument {
  cached ??= JSON.parse(
    fs.readFileSync(path.join(__dirname, '..', 'schemas', 'openapi.json'), 'utf8'),
  ) as OpenApiDocument;
  return cached;
}
