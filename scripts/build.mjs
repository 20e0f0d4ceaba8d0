#!/usr/bin/env node
// Compiles the server and the CLI to dist/ (one bundled file each, dependencies left in node_modules) and the
// web UI to dist/ui/, so `npm start` runs one plain `node` process that compiles nothing. Runs from
// `npm install` (prepare) and, with --if-stale, before `npm start`, `npm test` and the benchmarks: a fresh
// dist/ costs one directory walk.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entries = { main: 'src/main.ts', 'cli/main': 'src/cli/main.ts' };
const inputs = ['src', 'migrations', 'ui', 'package.json', 'package-lock.json', 'scripts/build.mjs'];
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

/**
 * The browser bundle: content-hashed names under dist/ui/assets/ (served as immutable), an index.html that
 * names them (served no-cache), and gzip + brotli copies made once here so the server compresses nothing
 * per request. It is built beside dist/ui/ and swapped in with two renames, so a running server (or a test
 * run in the same checkout) never sees a half-written directory, and stale hashed files never pile up.
 */
async function buildUi(build) {
  const final = path.join(root, 'dist', 'ui');
  const out = path.join(root, 'dist', `.ui-${process.pid}`);
  fs.rmSync(out, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: { main: 'ui/src/main.tsx' },
    outdir: path.join(out, 'assets'),
    entryNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    assetNames: '[name]-[hash]',
    // Code loaded on demand (uPlot, with the first chart) goes to chunks of its own.
    splitting: true,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: ['chrome110', 'firefox110', 'safari16'],
    tsconfig: 'ui/tsconfig.json',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((file) => path.basename(file));
  const named = (ext) => outputs.find((file) => file.startsWith('main-') && file.endsWith(ext));
  const html = fs
    .readFileSync(path.join(root, 'ui', 'index.html'), 'utf8')
    .replace('%SCRIPT%', `/ui/assets/${named('.js')}`)
    .replace('%STYLE%', `/ui/assets/${named('.css')}`);
  fs.writeFileSync(path.join(out, 'index.html'), html);
  for (const file of outputs.filter((name) => /\.(js|css)$/.test(name))) {
    const full = path.join(out, 'assets', file);
    const bytes = fs.readFileSync(full);
    fs.writeFileSync(`${full}.gz`, zlib.gzipSync(bytes, { level: 9 }));
    fs.writeFileSync(`${full}.br`, zlib.brotliCompressSync(bytes));
  }
  const old = path.join(root, 'dist', `.ui-old-${process.pid}`);
  if (fs.existsSync(final)) fs.renameSync(final, old);
  fs.renameSync(out, final);
  fs.rmSync(old, { recursive: true, force: true });
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
await buildUi(build);
fs.writeFileSync(stamp, `${new Date().toISOString()}\n`);
