// CPU time and memory of each service process, read from /proc (Linux). A service is started as
// `node_modules/.bin/tsx bin/server.ts <role>`: that is a small wrapper process whose node child runs
// the service, so the probe follows the wrapper to the descendant whose command line runs bin/server.ts.
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

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

function parentOf(pid: number): number | undefined {
  const stat = read(`/proc/${pid}/stat`);
  // The command name (field 2) is in parentheses and may hold spaces: split after its closing one.
  const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields ? Number(fields[1]) : undefined;
}

export const allPids = () =>
  readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);

/** utime + stime of a process in seconds, undefined once it has exited. */
export function cpuSecondsOf(pid: number): number | undefined {
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command name: state is field 3, utime 14 and stime 15 (proc(5)); index = field - 3.
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

function descendants(root: number): number[] {
  const pids = allPids();
  const out: number[] = [];
  const frontier = [root];
  while (frontier.length) {
    const p = frontier.pop()!;
    for (const c of pids) {
      if (parentOf(c) === p) {
        out.push(c);
        frontier.push(c);
      }
    }
  }
  return out;
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

  /** The process that runs the service: the deepest descendant of the wrapper running bin/server.ts. */
  static async find(role: string, wrapper: ChildProcess, timeoutMs = 15_000): Promise<ProcessProbe> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const running = descendants(wrapper.pid!).filter((p) => cmdline(p).includes('bin/server.ts'));
      if (running.length) return new ProcessProbe(role, running[running.length - 1]!);
      if (Date.now() > deadline) {
        // tsx ran the service in its own process after all.
        return new ProcessProbe(role, wrapper.pid!);
      }
      await sleep(100);
    }
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
