import fs from 'node:fs';
import { processTree } from './process-memory';

/** Clock ticks per second of /proc/<pid>/stat's times: USER_HZ, 100 on every Linux this runs on. */
const USER_HZ = 100;

/** User + system CPU seconds a process (all its threads) has used so far; NaN once it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const [utime, stime] = [fields[11], fields[12]].map(Number);
    return (utime + stime) / USER_HZ;
  } catch {
    return NaN;
  }
}

/** The first process below `root` (this process by default) whose command name is `name`. */
export function descendantNamed(name: string, root = process.pid): number | undefined {
  return processTree(root).find((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === name;
    } catch {
      return false;
    }
  });
}

/** CPU seconds used so far by `root` and every process below it. */
export function treeCpuSeconds(root: number): number {
  return processTree(root).reduce((sum, pid) => sum + (cpuSeconds(pid) || 0), 0);
}

/**
 * Resolves once the process tree under `root` has used less than `maxShare` of one core over a whole second
 * (or after `timeoutMs`, saying so): a server that answers its first request may still be starting the rest of
 * its workers, and a measurement taken meanwhile shares the cores with that.
 */
export async function waitUntilIdle(
  root: number,
  label: string,
  maxShare = 0.05,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let before = treeCpuSeconds(root);
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const now = treeCpuSeconds(root);
    if (now - before < maxShare) return;
    before = now;
  }
  console.log(`${label} still busy after ${timeoutMs / 1000} s; measuring anyway`);
}
