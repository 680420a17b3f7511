// Finding and running ffmpeg / ffprobe: one place that knows their names and turns spawn failures
// into errors that say what to install.
import { spawn, type ChildProcess } from "node:child_process";

import { MediaError, oneLine } from "./errors.js";

/** The ffmpeg executable: `DIME_FFMPEG`, else `ffmpeg` on PATH. */
export function ffmpegPath(): string {
  return process.env.DIME_FFMPEG || "ffmpeg";
}

/** The ffprobe executable: `DIME_FFPROBE`, else `ffprobe` on PATH. */
export function ffprobePath(): string {
  return process.env.DIME_FFPROBE || "ffprobe";
}

/** A spawned tool whose stderr is kept (the first 8 KiB) for error messages. */
export interface ToolProcess {
  child: ChildProcess;
  /** Resolves when the process exits: its exit code (or -1 when killed by a signal) and stderr. */
  done: Promise<{ code: number; stderr: string }>;
}

/**
 * Spawns `tool` with `args`. `file` is the media file the call is about, named in errors.
 * A missing executable rejects `done` with a `MediaError` ("tool").
 */
export function startTool(tool: string, args: string[], file: string, stdin: "pipe" | "ignore" = "ignore"): ToolProcess {
  // Its own process group: a Ctrl-C at the terminal (sent to the whole foreground group) then
  // reaches dime alone, which stops the tool and removes its output itself, instead of racing a
  // tool that dies of the same signal and reports "could not decode" (src/cli/interrupt.ts).
  const child = spawn(tool, args, { stdio: [stdin, "pipe", "pipe"], detached: true });
  let stderr = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (text: string) => {
    if (stderr.length < 8192) stderr += text;
  });
  const done = new Promise<{ code: number; stderr: string }>((resolve, reject) => {
    child.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT")
        reject(
          new MediaError(file, "tool", `${tool} not found: install ffmpeg (e.g. apt install ffmpeg) or set DIME_FFMPEG / DIME_FFPROBE`),
        );
      else reject(new MediaError(file, "tool", `cannot start ${tool}: ${error.message}`));
    });
    child.once("close", (code) => resolve({ code: code ?? -1, stderr }));
  });
  return { child, done };
}

/** Runs a tool to completion and returns its stdout as text; non-zero exit is returned, not thrown. */
export async function runTool(tool: string, args: string[], file: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = startTool(tool, args, file);
  let stdout = "";
  proc.child.stdout!.setEncoding("utf8");
  proc.child.stdout!.on("data", (text: string) => (stdout += text));
  const { code, stderr } = await proc.done;
  return { code, stdout, stderr };
}

/** The most telling line of ffmpeg's stderr (the last non-empty one), shortened. */
export function toolReason(stderr: string): string {
  // Drop ffmpeg's "[mov,mp4 @ 0x55c4...]" context prefixes: addresses mean nothing to a user.
  const lines = stderr
    .split("\n")
    .map((l) => l.replace(/\[[^\]]*@ 0x[0-9a-f]+\]\s*/g, "").trim())
    .filter(Boolean);
  return oneLine(lines.at(-1) ?? "no message", 160);
}
