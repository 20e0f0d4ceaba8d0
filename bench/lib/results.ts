import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const REPO = path.resolve(__dirname, '../..');

export function gitCommit(): string | undefined {
  try {
    const head = fs.readFileSync(path.join(REPO, '.git/HEAD'), 'utf8').trim();
    if (!head.startsWith('ref: ')) return head;
    return fs.readFileSync(path.join(REPO, '.git', head.slice(5)), 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** What a figure depends on besides the code: the shared machine's size and how busy it was. */
export function machineInfo() {
  return {
    cpus: os.cpus().length,
    node: process.version,
    loadavg: os.loadavg(),
    memTotalBytes: os.totalmem(),
  };
}

/** Writes bench/results/<name>.json (gitignored) and returns its repository-relative path. */
export function writeResult(name: string, result: unknown): string {
  const outDir = path.join(REPO, 'bench/results');
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  return `bench/results/${name}.json`;
}
