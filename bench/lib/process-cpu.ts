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
