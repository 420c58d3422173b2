// A progress line on stderr while a phase runs: rewritten in place when stderr is a terminal, one line
// every few seconds otherwise (a log file or CI). Results go to stdout, so they stay clean.

const TTY_EVERY_MS = 250;
const LINE_EVERY_MS = Number(process.env.LOAD_PROGRESS_SECONDS ?? 5) * 1000;

export class Progress {
  private readonly tty = process.stderr.isTTY === true;
  private timer: NodeJS.Timeout | undefined;
  private label = '';
  private status: () => string = () => '';
  private startedAt = 0;
  private shown = false;

  /** Start reporting a phase; `status` is asked for the rest of the line each time it is shown. */
  phase(label: string, status: () => string): void {
    this.end();
    this.label = label;
    this.status = status;
    this.startedAt = performance.now();
    this.timer = setInterval(() => this.show(), this.tty ? TTY_EVERY_MS : LINE_EVERY_MS);
    this.timer.unref();
    if (this.tty) this.show();
  }

  /** Stop the phase's line; on a terminal its last state stays on screen. */
  end(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.show();
    if (this.tty && this.shown) process.stderr.write('\n');
    this.shown = false;
  }

  /** A line of its own (a phase starting, a note). */
  note(message: string): void {
    if (this.tty && this.shown) process.stderr.write('\r\x1b[2K');
    process.stderr.write(`${message}\n`);
    if (this.tty && this.timer) this.show();
  }

  private show(): void {
    const seconds = ((performance.now() - this.startedAt) / 1000).toFixed(1);
    let line = `[${this.label} ${seconds} s] ${this.status()}`;
    if (this.tty) {
      const width = process.stderr.columns || 120;
      if (line.length > width - 1) line = line.slice(0, width - 2) + '…';
      process.stderr.write(`\r\x1b[2K${line}`);
      this.shown = true;
    } else {
      process.stderr.write(`${line}\n`);
    }
  }
}
