import { spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * The browser code has its own tsconfig (DOM library, Preact's JSX), so the server's `tsc --noEmit` does not
 * see it and esbuild only strips its types: this is where a type error in ui/ fails the build.
 */
it('ui/ type-checks with ui/tsconfig.json', () => {
  const run = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'ui', '--noEmit'], {
    cwd: path.resolve(__dirname, '../..'),
    encoding: 'utf8',
  });
  expect(`${run.stdout}${run.stderr}`).toBe('');
  expect(run.status).toBe(0);
});
