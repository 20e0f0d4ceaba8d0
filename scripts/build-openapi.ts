/**
 * `npm run gen`: merges schemas/src/*.yaml into schemas/openapi.json, mirrors every /api/2.0/mlflow path
 * under /ajax-api/2.0/mlflow (same handlers, same validation), then generates src/generated/openapi.d.ts
 * with openapi-typescript. `npm run gen -- --check` fails when either committed file is stale (CI).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';

const root = path.resolve(__dirname, '..');
const sourceDir = path.join(root, 'schemas', 'src');
const bundlePath = path.join(root, 'schemas', 'openapi.json');
const typesPath = path.join(root, 'src', 'generated', 'openapi.d.ts');

type Json = Record<string, any>;

function mergeInto(target: Json, part: Json, file: string, trail: string[] = []): void {
  for (const [key, value] of Object.entries(part)) {
    const here = [...trail, key];
    if (
      value &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      target[key] &&
      typeof target[key] === 'object'
    ) {
      // Two fragments may add to the same section (paths, components.schemas) but never redefine an entry.
      if (
        here.length >= 3 ||
        (here[0] === 'paths' && here.length >= 2 && Object.keys(value).some((m) => m in target[key]))
      ) {
        throw new Error(`${file}: ${here.join('.')} is already defined by another fragment`);
      }
      mergeInto(target[key], value, file, here);
    } else if (key in target && here.length > 1) {
      throw new Error(`${file}: ${here.join('.')} is already defined by another fragment`);
    } else {
      target[key] = value;
    }
  }
}

function bundle(): Json {
  const doc: Json = {};
  for (const file of fs
    .readdirSync(sourceDir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()) {
    mergeInto(doc, YAML.parse(fs.readFileSync(path.join(sourceDir, file), 'utf8')) ?? {}, file);
  }
  for (const [route, item] of Object.entries(doc.paths as Json)) {
    if (!route.startsWith('/api/2.0/mlflow')) continue;
    const mirrored: Json = {};
    for (const [method, operation] of Object.entries(item as Json)) {
      mirrored[method] = {
        ...operation,
        operationId: `${operation.operationId}Ajax`,
        tags: ['ajax-api mirror'],
      };
    }
    doc.paths[route.replace('/api/2.0/mlflow', '/ajax-api/2.0/mlflow')] = mirrored;
  }
  return doc;
}

function generateTypes(bundleFile: string, outFile: string): void {
  execFileSync(path.join(root, 'node_modules', '.bin', 'openapi-typescript'), [bundleFile, '-o', outFile], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

function main(): void {
  const check = process.argv.includes('--check');
  const json = JSON.stringify(bundle(), null, 2) + '\n';
  if (!check) {
    fs.writeFileSync(bundlePath, json);
    fs.mkdirSync(path.dirname(typesPath), { recursive: true });
    generateTypes(bundlePath, typesPath);
    return;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'semreg-gen-'));
  fs.writeFileSync(path.join(tmp, 'openapi.json'), json);
  generateTypes(path.join(tmp, 'openapi.json'), path.join(tmp, 'openapi.d.ts'));
  const stale = [
    [bundlePath, path.join(tmp, 'openapi.json')],
    [typesPath, path.join(tmp, 'openapi.d.ts')],
  ].filter(
    ([committed, fresh]) =>
      !fs.existsSync(committed) || fs.readFileSync(committed, 'utf8') !== fs.readFileSync(fresh, 'utf8'),
  );
  fs.rmSync(tmp, { recursive: true, force: true });
  if (stale.length > 0) {
    console.error(
      `stale generated files: ${stale.map(([f]) => path.relative(root, f)).join(', ')}; run npm run gen`,
    );
    process.exit(1);
  }
  console.log('generated files are up to date');
}

main();
