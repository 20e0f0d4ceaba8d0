import { execFileSync } from 'node:child_process';

/**
 * Mounts a real small file system on `dir` (we run as root): a tmpfs of `mib` MiB, or when tmpfs is not
 * allowed a loop-mounted ext4 image of at least 4 MiB; `readOnly` remounts it read-only. Returns what was
 * mounted, for messages. The caller unmounts (`umount dir`).
 */
export function mountSmallFileSystem(dir: string, mib = 2, { readOnly = false } = {}): string {
  let kind: string;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mib}m,mode=0755`, 'tmpfs', dir], { stdio: 'pipe' });
    kind = `tmpfs (${mib} MiB)`;
  } catch (tmpfsError) {
    const image = `${dir}.img`;
    const size = Math.max(mib, 4);
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${image}`, 'bs=1M', `count=${size}`], { stdio: 'pipe' });
      execFileSync('mkfs.ext4', ['-q', image], { stdio: 'pipe' });
      execFileSync('mount', ['-o', 'loop', image, dir], { stdio: 'pipe' });
      kind = `loop-mounted ext4 (${size} MiB)`;
    } catch (loopError) {
      throw new Error(
        `cannot mount a small file system here (tmpfs: ${String(tmpfsError)}; loop: ${String(loopError)})`,
      );
    }
  }
  if (readOnly) execFileSync('mount', ['-o', 'remount,ro', dir], { stdio: 'pipe' });
  return kind;
}
