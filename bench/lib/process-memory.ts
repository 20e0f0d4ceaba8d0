import fs from 'node:fs';

/**
 * Resident memory of a process tree, from /proc/<pid>/status. The servers under test are trees (tsx runs node
 * as a child; mlflow runs uvicorn/gunicorn workers), so every figure is summed over the root and all its
 * descendants, found through /proc/<pid>/task/<tid>/children.
 */
const KiB = 1024;

function readStatusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) : 0;
  } catch {
    return 0; // the process exited between listing and reading
  }
}

export function processTree(root: number): number[] {
  const seen: number[] = [];
  const queue = [root];
  while (queue.length > 0 && seen.length < 10_000) {
    const pid = queue.shift() as number;
    seen.push(pid);
    let tasks: string[] = [];
    try {
      tasks = fs.readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      try {
        const children = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
        if (children) queue.push(...children.split(/\s+/).map(Number));
      } catch {
        // thread gone
      }
    }
  }
  return seen;
}

export function treeRssBytes(root: number): number {
  return processTree(root).reduce((sum, pid) => sum + readStatusKiB(pid, 'VmRSS'), 0) * KiB;
}

function hwmByPid(root: number): Map<number, number> {
  return new Map(processTree(root).map((pid) => [pid, readStatusKiB(pid, 'VmHWM') * KiB]));
}

export interface MemoryReport {
  /** Tree VmRSS just before the measured work. */
  baselineRssBytes: number;
  /** Highest tree VmRSS sampled during the work. */
  peakRssBytes: number;
  /** peak − baseline: the figure the < 64 MiB goal is about. */
  peakGrowthBytes: number;
  /** Largest rise of one process's VmHWM over the work: catches a peak shorter than the sampling interval. */
  maxHwmRiseBytes: number;
  samples: number;
}

/** Samples the tree's VmRSS every `intervalMs` from `start()` to `stop()`. */
export class TreeMemorySampler {
  private readonly baseline: number;
  private readonly hwmBefore: Map<number, number>;
  private peak: number;
  private samples = 0;
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly root: number,
    intervalMs: number,
  ) {
    this.baseline = treeRssBytes(root);
    this.peak = this.baseline;
    this.hwmBefore = hwmByPid(root);
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  static start(root: number, intervalMs = 50): TreeMemorySampler {
    return new TreeMemorySampler(root, intervalMs);
  }

  private sample(): void {
    this.samples += 1;
    this.peak = Math.max(this.peak, treeRssBytes(this.root));
  }

  stop(): MemoryReport {
    clearInterval(this.timer);
    this.sample();
    let maxHwmRise = 0;
    for (const [pid, hwm] of hwmByPid(this.root)) {
      // A worker born during the work counts from zero: all of its memory is growth.
      maxHwmRise = Math.max(maxHwmRise, hwm - (this.hwmBefore.get(pid) ?? 0));
    }
    return {
      baselineRssBytes: this.baseline,
      peakRssBytes: this.peak,
      peakGrowthBytes: this.peak - this.baseline,
      maxHwmRiseBytes: maxHwmRise,
      samples: this.samples,
    };
  }
}
