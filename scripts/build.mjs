#!/usr/bin/env node
// Compiles the server and the CLI to dist/ (one bundled file each, dependencies left in node_modules), so
// `npm start` runs one plain `node` process that compiles nothing. Runs from `npm install` (prepare) and,
// with --if-stale, before `npm start`, `npm test` and the benchmarks: a fresh dist/ costs one directory walk.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entries = { main: 'src/main.ts', 'cli/main': 'src/cli/main.ts' };
const inputs = ['src', 'migrations', 'package.json', 'package-lock.json', 'scripts/build.mjs'];
const stamp = path.join(root, 'dist', '.build-stamp');

function newestMtime(target) {
  const stat = fs.statSync(target, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of fs.readdirSync(target))
    newest = Math.max(newest, newestMtime(path.join(target, entry)));
  return newest;
}

function isFresh() {
  const built = fs.statSync(stamp, { throwIfNoEntry: false });
  if (!built) return false;
  return inputs.every((input) => newestMtime(path.join(root, input)) <= built.mtimeMs);
}

if (process.argv.includes('--if-stale') && isFresh()) process.exit(0);

// Imported only when something must be built: a production install (no dev dependencies) never gets here.
const { build } = await import('esbuild');
await build({
  absWorkingDir: root,
  entryPoints: entries,
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
fs.writeFileSync(stamp, `${new Date().toISOString()}\n`);
