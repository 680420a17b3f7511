// SIGINT (Ctrl-C) and SIGTERM (kill, a cluster scheduler before it kills) for the commands that
// write files: stop, remove every temporary output this process was writing, say in one line what
// was kept, and exit 130 (SIGINT) or 143 (SIGTERM), as shells and schedulers expect.
//
// Use in a command's run(), around the part that works and writes:
//
//   return withInterrupts({ command: "dime crop", kept: () => `${out} left as it was` }, async () => {
//     ...work...
//     return 0;
//   });
//
// Outputs written through src/media (VideoWriter, writeImage, tempPathFor) or src/io
// (writeFileAtomic, writeSafetensors) are tracked and removed by themselves; a command that makes
// a temporary file another way registers it with trackTemp (src/io/temp-files.ts). `kept` says
// what stays on disk when the signal comes now (finished files, the previous output untouched).
//
// A command that must finish something first (train writes a checkpoint) passes `graceful`: the
// first signal only aborts that controller and the command returns normally, its exit code from
// `exitCodeFor(signal)`; a second signal exits at once (atomic writes keep the previous files).
import { removeTrackedTemps } from "../io/temp-files.js";

export type StopSignal = "SIGINT" | "SIGTERM";

/** 130 for SIGINT, 143 for SIGTERM: 128 + the signal's number. */
export function exitCodeFor(signal: StopSignal): number {
  return signal === "SIGINT" ? 130 : 143;
}

export interface InterruptOptions {
  /** "dime animate": the start of the line printed. */
  command: string;
  /** What is kept on disk if the command stops now, e.g. "out.mp4 left as it was". */
  kept: () => string;
  /**
   * Stop gracefully: the first signal aborts this controller (its reason is the signal's name) and
   * prints `graceful.note`; the command sees `signal.aborted`, finishes up and returns.
   */
  graceful?: { controller: AbortController; note: (signal: StopSignal) => string };
}

/** Runs `work` with SIGINT and SIGTERM handled as the file's header says; the handlers are removed after. */
export async function withInterrupts<T>(options: InterruptOptions, work: () => Promise<T>): Promise<T> {
  let signals = 0;
  const handler = (signal: StopSignal) => {
    signals += 1;
    if (options.graceful && signals === 1) {
      process.stderr.write(`\n${options.command}: ${options.graceful.note(signal)}\n`);
      options.graceful.controller.abort(signal);
      return;
    }
    removeTrackedTemps();
    process.stderr.write(`\n${options.command}: stopped by ${signal}; ${options.kept()}\n`);
    process.exit(exitCodeFor(signal));
  };
  const onInt = () => handler("SIGINT");
  const onTerm = () => handler("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  try {
    return await work();
  } finally {
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
  }
}
