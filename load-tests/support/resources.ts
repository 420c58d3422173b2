// CPU time and memory of each service process, read from /proc (Linux). A service is started as
// `node dist/bin/server.js <role>` (support/stack.ts), with no wrapper process: the pid spawned is the
// service's.
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const CLOCK_TICKS = 100;
const MB = 1024 * 1024;

export type Sample = { cpuSeconds: number; rssMb: number; peakMb: number };

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export const allPids = () =>
  readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);

/** utime + stime of a process in seconds, undefined once it has exited. */
export function cpuSecondsOf(pid: number): number | undefined {
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // The command name (field 2) is in parentheses and may hold spaces: split after its closing one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command name: state is field 3, utime 14 and stime 15 (proc(5)); index = field - 3.
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

export const cmdline = (pid: number) => (read(`/proc/${pid}/cmdline`) ?? '').split('\0').join(' ');

export class ProcessProbe {
  private cpuAtMark = 0;
  private markedAt = 0;
  idle: Sample | undefined;

  private constructor(
    readonly role: string,
    readonly pid: number,
  ) {}

  /** The probe of a service's process, the node process the benchmark spawned for it. */
  static of(role: string, service: ChildProcess): ProcessProbe {
    return new ProcessProbe(role, service.pid!);
  }

  /** Undefined once the process has exited. */
  sample(): Sample | undefined {
    const cpuSeconds = cpuSecondsOf(this.pid);
    const status = read(`/proc/${this.pid}/status`);
    if (cpuSeconds === undefined || !status) return undefined;
    const kb = (key: string) => Number(/\s(\d+) kB/.exec(status.split('\n').find((l) => l.startsWith(key)) ?? '')?.[1]);
    return { cpuSeconds, rssMb: (kb('VmRSS:') * 1024) / MB, peakMb: (kb('VmHWM:') * 1024) / MB };
  }

  /**
   * Record the idle figures and start the measured part: CPU is counted from here, and the peak RSS
   * (VmHWM) is reset to the current RSS so that start-up does not count as load.
   */
  markIdle(): void {
    this.idle = this.sample();
    try {
      writeFileSync(`/proc/${this.pid}/clear_refs`, '5');
    } catch {
      // Not allowed here: the peak then includes start-up.
    }
    this.cpuAtMark = this.idle?.cpuSeconds ?? 0;
    this.markedAt = performance.now();
  }

  /** CPU seconds since markIdle, the wall seconds they were spent in, and the peak RSS since then. */
  underLoad(): { cpuSeconds: number; wallSeconds: number; peakMb: number; alive: boolean } | undefined {
    const s = this.sample();
    const wallSeconds = (performance.now() - this.markedAt) / 1000;
    if (!s) return { cpuSeconds: NaN, wallSeconds, peakMb: NaN, alive: false };
    return { cpuSeconds: s.cpuSeconds - this.cpuAtMark, wallSeconds, peakMb: s.peakMb, alive: true };
  }
}
