import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Response } from 'supertest';

/** Markup a hostile request may carry; an error must never echo it back as-is. */
const DANGEROUS = /<\s*script|<\s*img|onerror\s*=|javascript:/i;

/**
 * A 4xx (or the given status) with MLflow's error shape: JSON content type, `error_code` + `message`, and
 * no markup from the request reflected back (mlflow-compat.md §2.1, §7).
 */
export function expectMlflowError(
  res: Response,
  status: number | '4xx',
  code?: string | readonly string[],
): void {
  const summary = `${res.status} ${res.text?.slice(0, 300)}`;
  if (status === '4xx') {
    expect({ summary, is4xx: res.status >= 400 && res.status < 500 }).toEqual({ summary, is4xx: true });
  } else {
    expect({ summary, status: res.status }).toEqual({ summary, status });
  }
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(typeof res.body.error_code).toBe('string');
  expect(typeof res.body.message).toBe('string');
  if (code !== undefined) {
    const codes = typeof code === 'string' ? [code] : code;
    expect({ summary, code: codes.includes(res.body.error_code) }).toEqual({ summary, code: true });
  }
  expect(DANGEROUS.test(res.text)).toBe(false);
}

interface Snapshot {
  content: string;
  mtimeMs: number;
}

/**
 * Canary files OUTSIDE the data directory (a sibling tmp dir, standing in for /etc) plus symlinks planted
 * inside the artifact root that point at them. `assertUntouched` proves that nothing outside the data
 * directory was read (atime is unreliable, so reads are proven by the canary text never appearing in a
 * response), written, created or deleted.
 */
export class Canaries {
  readonly outsideDir: string;
  readonly secret = `CANARY-${Math.random().toString(36).slice(2)}-DO-NOT-LEAK`;
  private before = new Map<string, Snapshot>();
  private listing: string[] = [];

  constructor(readonly artifactRoot: string) {
    this.outsideDir = fs.mkdtempSync(path.join(os.tmpdir(), 'semreg-canary-'));
    fs.writeFileSync(path.join(this.outsideDir, 'passwd'), `root:x:0:0:${this.secret}\n`);
    fs.mkdirSync(path.join(this.outsideDir, 'etc'));
    fs.writeFileSync(path.join(this.outsideDir, 'etc', 'shadow'), `${this.secret}\n`);
    fs.mkdirSync(artifactRoot, { recursive: true });
    // Symlinks inside the root that lead out of it: a file, a directory and a dangling one.
    fs.symlinkSync(path.join(this.outsideDir, 'passwd'), path.join(artifactRoot, 'link-to-passwd'));
    fs.symlinkSync(this.outsideDir, path.join(artifactRoot, 'link-to-outside'));
    fs.symlinkSync(
      path.join(this.outsideDir, 'created-through-link'),
      path.join(artifactRoot, 'dangling-link'),
    );
    for (const file of this.files()) {
      const stat = fs.statSync(file);
      this.before.set(file, { content: fs.readFileSync(file, 'utf8'), mtimeMs: stat.mtimeMs });
    }
    this.listing = this.tree();
  }

  /** Paths an attacker would aim at: absolute, and relative from the artifact root. */
  get absolutePasswd(): string {
    return path.join(this.outsideDir, 'passwd');
  }

  relativeFromRoot(): string {
    return path.relative(this.artifactRoot, this.outsideDir);
  }

  private files(): string[] {
    return this.tree()
      .map((rel) => path.join(this.outsideDir, rel))
      .filter((file) => fs.lstatSync(file).isFile());
  }

  private tree(dir = this.outsideDir, prefix = ''): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const rel = path.join(prefix, entry.name);
      return entry.isDirectory() ? [rel, ...this.tree(path.join(dir, entry.name), rel)] : [rel];
    });
  }

  /** Nothing created, deleted or modified outside; the secret never appeared in any response body seen. */
  assertUntouched(responses: readonly Response[] = []): void {
    expect(this.tree().sort()).toEqual([...this.listing].sort());
    for (const [file, snap] of this.before) {
      expect(fs.readFileSync(file, 'utf8')).toBe(snap.content);
      expect(fs.statSync(file).mtimeMs).toBe(snap.mtimeMs);
    }
    for (const res of responses) expect(res.text ?? '').not.toContain(this.secret);
  }

  cleanup(): void {
    fs.rmSync(this.outsideDir, { recursive: true, force: true });
  }
}
