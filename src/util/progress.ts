// The progress display of training (dime's and the oracles'), on stderr: on a terminal one line
// redrawn in place (a bar, step/total, steps per second, ETA and each loss term); in a pipe or a log
// file plain lines, the first step's at once and then one every `interval` seconds.

/** What a progress line shows of one optimizer step (train/log.ts's StepRecord is one). */
export interface StepRecord {
  step: number;
  /** This step's wall time. */
  step_seconds: number;
  /** The total ("total") and each weighted term. */
  loss: Record<string, number>;
}

export interface ProgressReporter {
  /** A line of news (what runs, a checkpoint written, a stop). */
  note(message: string): void;
  /** After each step. */
  step(record: StepRecord, totalSteps: number): void;
  /** Leaves the terminal on a fresh line. */
  end(): void;
}

export const SILENT_PROGRESS: ProgressReporter = { note() {}, step() {}, end() {} };

export interface ProgressOptions {
  /** Redraw in place (default: whether the stream is a TTY). */
  tty?: boolean;
  /** Seconds between plain lines when not a TTY (default 30). */
  interval?: number;
  /** Steps the speed is averaged over (default 20). */
  window?: number;
}

export class ProgressBar implements ProgressReporter {
  readonly #stream: NodeJS.WritableStream & { columns?: number };
  readonly #tty: boolean;
  readonly #interval: number;
  readonly #window: number;
  /** Wall-clock ms at the end of recent steps, for the speed. */
  readonly #times: number[] = [];
  #line = "";
  #lastDraw = -Infinity;

  constructor(stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number } = process.stderr, options: ProgressOptions = {}) {
    this.#stream = stream;
    this.#tty = options.tty ?? stream.isTTY === true;
    this.#interval = (options.interval ?? 30) * 1000;
    this.#window = options.window ?? 20;
  }

  note(message: string): void {
    if (this.#tty && this.#line) this.#stream.write("\r\x1b[K");
    this.#stream.write(`${message}\n`);
    if (this.#tty && this.#line) this.#stream.write(this.#line);
  }

  step(record: StepRecord, totalSteps: number): void {
    const now = performance.now();
    this.#times.push(now);
    if (this.#times.length > this.#window + 1) this.#times.shift();
    const last = record.step >= totalSteps;
    const first = this.#times.length === 1;
    if (!last && !first && now - this.#lastDraw < (this.#tty ? 100 : this.#interval)) return;
    this.#lastDraw = now;
    const line = formatProgress(record, totalSteps, this.#stepsPerSecond(record), this.#tty);
    if (this.#tty) {
      const width = this.#stream.columns ?? 120;
      this.#line = line.length > width - 1 ? line.slice(0, width - 1) : line;
      this.#stream.write(`\r\x1b[K${this.#line}`);
    } else {
      this.#stream.write(`${line}\n`);
    }
  }

  end(): void {
    if (this.#tty && this.#line) this.#stream.write("\n");
    this.#line = "";
  }

  /** Over the recent window; from the step's own time until there are two steps to compare. */
  #stepsPerSecond(record: StepRecord): number {
    const times = this.#times;
    if (times.length < 2) return record.step_seconds > 0 ? 1 / record.step_seconds : 0;
    return ((times.length - 1) * 1000) / (times[times.length - 1] - times[0]);
  }
}

/** `step 120/3000 [##--------]  4% | 1.92 step/s | ETA 25m00s | loss 1.234 pixel 0.9870 ...` */
export function formatProgress(record: StepRecord, totalSteps: number, stepsPerSecond: number, bar = true): string {
  const fraction = Math.min(1, record.step / totalSteps);
  const filled = Math.round(fraction * 20);
  const eta = stepsPerSecond > 0 ? formatDuration((totalSteps - record.step) / stepsPerSecond) : "?";
  const losses = Object.entries(record.loss)
    .map(([name, value]) => `${name === "total" ? "loss" : name} ${formatNumber(value)}`)
    .join(" ");
  const head = `step ${record.step}/${totalSteps}${bar ? ` [${"#".repeat(filled)}${"-".repeat(20 - filled)}]` : ""} ${Math.floor(fraction * 100)}%`;
  return `${head} | ${stepsPerSecond.toFixed(2)} step/s | ETA ${eta} | ${losses}`;
}

function formatNumber(value: number): string {
  return Number.isFinite(value) ? value.toPrecision(4) : String(value);
}

/** 75 -> "1m15s", 4000 -> "1h06m". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
