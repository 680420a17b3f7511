// RUN_DIR/log.jsonl: one JSON object per line, a `step` record per optimizer step (every loss term,
// weighted and unweighted, the learning rate, the time) and a few events (start, resume,
// checkpoint, sample, stop). Every record carries `step`, so a resume can cut the log back to
// its checkpoint and the steps it redoes are not logged twice.
import { appendFileSync, existsSync, readFileSync } from "node:fs";

import { ATOMIC_IO } from "../checkpoint/files.js";
import { writeError } from "../io/write-errors.js";

/** One step's line. Loss values are plain numbers (NaN and Inf are written as strings). */
export interface StepRecord {
  event: "step";
  step: number;
  epoch: number;
  /** The learning rate the step used. */
  lr: number;
  /** Training seconds since the run began (over every session), and this step's wall time. */
  seconds: number;
  step_seconds: number;
  /** The objective's total and its weighted terms (`pixel` or `perceptual`, `equivariance_value`, ...). */
  loss: Record<string, number>;
  /** The reconstruction loss's unweighted terms by scale (`scale_1.l1`, `scale_0.5.one_minus_ssim`, ...). */
  details: Record<string, number>;
}

export interface EventRecord {
  event: "start" | "resume" | "checkpoint" | "sample" | "stop";
  step: number;
  [key: string]: unknown;
}

export type LogRecord = StepRecord | EventRecord;

export class TrainLog {
  private constructor(readonly path: string) {}

  /** A new log (replacing any file there). */
  static create(path: string): TrainLog {
    ATOMIC_IO.writeText(path, "");
    return new TrainLog(path);
  }

  /**
   * The log of a run resumed at `step`: records after that step (taken by the session that
   * stopped after its last checkpoint) are dropped, so each step is logged once.
   */
  static resume(path: string, step: number): TrainLog {
    const lines = existsSync(path)
      ? readFileSync(path, "utf8")
          .split("\n")
          .filter((line) => line.trim() !== "")
      : [];
    const kept = lines.filter((line) => {
      try {
        return (JSON.parse(line) as LogRecord).step <= step;
      } catch {
        return false; // a line cut short by a crash
      }
    });
    ATOMIC_IO.writeText(path, kept.map((line) => `${line}\n`).join(""));
    return new TrainLog(path);
  }

  write(record: LogRecord): void {
    try {
      appendFileSync(
        this.path,
        `${JSON.stringify(record, (_, value) => (typeof value === "number" && !Number.isFinite(value) ? String(value) : value))}\n`,
      );
    } catch (error) {
      // A full disk mid-run: one line naming the log (a resume trims a line cut short).
      throw writeError(this.path, error);
    }
  }
}

/** Reads a log back (for tests and tools). */
export function readLog(path: string): LogRecord[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as LogRecord);
}
