import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertInsideRealRoot, normaliseRelativePath, resolveSafePath } from './safe-path';

const invalid = expect.objectContaining({ errorCode: 'INVALID_PARAMETER_VALUE', status: 400 });

describe('normaliseRelativePath', () => {
  it.each([
    ['', ''],
    ['a/b/c.txt', 'a/b/c.txt'],
    ['./a//b/./c.txt', 'a/b/c.txt'],
    ['a/b/', 'a/b'],
    ['..../x', '..../x'],
    ['...', '...'],
    ['a/..b/c..', 'a/..b/c..'],
    ['dir%20with%20space/f.txt', 'dir with space/f.txt'],
    ['a%252Fb', 'a/b'],
    ['caf%C3%A9.txt', 'café.txt'],
    ['1/abc/artifacts/model/MLmodel', '1/abc/artifacts/model/MLmodel'],
    ['100%/x%zz', '100%/x%zz'],
  ])('turns %j into %j', (raw, clean) => {
    expect(normaliseRelativePath(raw)).toBe(clean);
  });

  // mlflow-compat.md §7 and issue 6 item 1: every one must be refused, none resolved to something harmless.
  it.each([
    ['../x'],
    ['./../x'],
    ['a/../b'],
    ['..'],
    ['a/..'],
    ['%2E%2E%2Fx'],
    ['%2e%2e%2f'],
    ['%252E%252E%252Fx'],
    ['%25252e%25252e%25252fx'],
    ['%2%0952e%2%0952e/'],
    ['%2%0A52e%2%0A52e/'],
    ['/etc/passwd'],
    ['%2Fetc%2Fpasswd'],
    ['%252Fa'],
    ['//etc/passwd'],
    ['/etc/passwd%00.jpg'],
    ['a\u0000b'],
    ['a%00'],
    ['a\tb'],
    ['..\\x'],
    ['a%5C..%5Cb'],
    ['C:/'],
    ['C:\\Windows'],
    ['c:x'],
    ['\\\\?\\C:\\'],
    ['\\\\server\\share'],
    ['file://a#/..//tmp'],
    ['a#b'],
    ['%C0%AE%C0%AE/x'],
    ['%C0%AF'],
    ['%E0%80%AE'],
    ['%FF'],
    ['%ED%A0%80'],
    ['\ud800'],
    ['\ufffd\ufffd/x'],
    ['x'.repeat(256)],
    ['a/'.repeat(2100)],
  ])('refuses %j with 400 INVALID_PARAMETER_VALUE', (raw) => {
    expect(() => normaliseRelativePath(raw)).toThrow(invalid);
  });

  it('refuses a value still encoded after 10 rounds', () => {
    let raw = '%2E';
    for (let i = 0; i < 11; i += 1) raw = encodeURIComponent(raw);
    expect(() => normaliseRelativePath(`${raw}/x`)).toThrow(invalid);
  });

  it('is a fixed point: normalising the result again changes nothing', () => {
    for (const raw of ['a%2541/b', 'x%252520y', '..../x', 'a//./b']) {
      const once = normaliseRelativePath(raw);
      expect(normaliseRelativePath(once)).toBe(once);
    }
  });

  it('names the offending value in the message', () => {
    expect(() => normaliseRelativePath('../secret')).toThrow(
      expect.objectContaining({
        message: 'Invalid path',
        details: `"../secret": '..' segments are not allowed.`,
      }),
    );
  });
});

describe('resolveSafePath', () => {
  const root = path.resolve('/srv/artifacts');

  it('resolves inside the root', () => {
    expect(resolveSafePath(root, 'a/b.txt')).toBe(path.join(root, 'a', 'b.txt'));
    expect(resolveSafePath(root, '')).toBe(root);
  });

  it('refuses traversal even before touching the file system', () => {
    expect(() => resolveSafePath(root, '%2e%2e/artifacts2/x')).toThrow(invalid);
  });
});

describe('assertInsideRealRoot', () => {
  let base: string;
  let root: string;
  let outside: string;

  beforeAll(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'semreg-safe-path-'));
    root = path.join(base, 'root');
    outside = path.join(base, 'outside');
    fs.mkdirSync(path.join(root, 'inner'), { recursive: true });
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'canary.txt'), 'canary');
    fs.symlinkSync(outside, path.join(root, 'escape'));
    fs.symlinkSync(path.join(outside, 'canary.txt'), path.join(root, 'canary-link'));
    fs.symlinkSync(path.join(outside, 'missing'), path.join(root, 'dangling'));
    fs.symlinkSync(path.join(root, 'inner'), path.join(root, 'inner-link'));
  });

  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

  it('accepts existing and not-yet-existing paths inside the root', async () => {
    await expect(assertInsideRealRoot(root, path.join(root, 'inner'))).resolves.toBeUndefined();
    await expect(
      assertInsideRealRoot(root, path.join(root, 'new', 'deep', 'f.txt')),
    ).resolves.toBeUndefined();
    await expect(assertInsideRealRoot(root, path.join(root, 'inner-link', 'f.txt'))).resolves.toBeUndefined();
    await expect(assertInsideRealRoot(root, root)).resolves.toBeUndefined();
  });

  it.each([
    ['escape'],
    ['escape/canary.txt'],
    ['escape/new/file'],
    ['canary-link'],
    ['dangling'],
    ['dangling/x'],
  ])('refuses %s, which leaves the root through a symlink', async (rel) => {
    await expect(assertInsideRealRoot(root, resolveSafePath(root, rel))).rejects.toThrow(invalid);
    expect(fs.readFileSync(path.join(outside, 'canary.txt'), 'utf8')).toBe('canary');
  });
});
