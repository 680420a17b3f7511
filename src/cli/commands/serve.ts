// `dime serve`: the local web app (src/serve) on 127.0.0.1 until Ctrl-C or SIGTERM, which cancel
// the jobs (no partial file is left), close the server and remove the work files, through the
// shared signal handling of src/cli/interrupt.ts (exit 130 or 143).
import { existsSync, statSync } from "node:fs";

import { setNumThreads } from "../../torch/index.js";
import { createServer, DEFAULT_LIMITS, type ServeLimits } from "../../serve/index.js";
import { listModels } from "../../serve/models.js";
import { inRange, noArguments } from "../checks.js";
import { exitCodeFor, withInterrupts, type StopSignal } from "../interrupt.js";
import { UsageError, type Command } from "../command.js";
import { defineFlags, parseFlags } from "../flags.js";

const MIB = 2 ** 20;

const HELP = `Usage: dime serve [--port 7860] [--host 127.0.0.1] [--models DIR] [--work DIR] [options]

Starts the local web app and prints its address: pick a model, upload a source picture (and
reference views) and a driving video, or use the shipped demo ones; follow the progress, play the
result beside the side-by-side view and download it as mp4; or drive the picture live from the
webcam. Nothing is fetched from the network. Ctrl-C (or SIGTERM) cancels the jobs, closes the
server and removes the work files.

  --port N            port to listen on (default 7860; 0: any free port)
  --host H            address to listen on (default 127.0.0.1: this machine only). Anything else
                      lets whoever reaches it upload files and run jobs; dime warns
  --models DIR        also offer every checkpoint under DIR (a run folder's latest, up to 4
                      folders deep), besides the shipped demo model
  --work DIR          keep uploads and results in a new folder inside DIR (default: a new folder
                      in the system's temp folder); removed when the server stops
  --work-cap-mb N     the work files' size cap in MiB; the oldest results go first (default ${DEFAULT_LIMITS.workBytes / MIB})
  --max-picture-mb N  largest picture upload in MiB (default ${DEFAULT_LIMITS.pictureBytes / MIB})
  --max-video-mb N    largest video upload in MiB (default ${DEFAULT_LIMITS.videoBytes / MIB})
  --max-frames N      most frames of a driving video (default ${DEFAULT_LIMITS.videoFrames})
  --threads N         libtorch threads (default: libtorch's, all cores); on a machine busy with
                      other work, 1 keeps live mode going (docs/serve.md, Speed)`;

const FLAGS = defineFlags({
  port: "int",
  host: "string",
  models: "string",
  work: "string",
  "work-cap-mb": "int",
  "max-picture-mb": "int",
  "max-video-mb": "int",
  "max-frames": "int",
  threads: "int",
});

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);

export const serveCommand: Command = {
  name: "serve",
  summary: "a local web app: upload, animate, watch the progress, download; live from the webcam",
  help: HELP,
  async run(argv) {
    const { positional, flags } = parseFlags(argv, FLAGS);
    noArguments(positional, "serve");
    const port = inRange(flags, "port", 0, 65535) ?? 7860;
    const host = flags.host ?? "127.0.0.1";
    const modelsDir = flags.models;
    if (modelsDir !== undefined && !(existsSync(modelsDir) && statSync(modelsDir).isDirectory()))
      throw new UsageError(`--models ${modelsDir}: no such folder`);
    const limits: Partial<ServeLimits> = {};
    const mib = (name: "work-cap-mb" | "max-picture-mb" | "max-video-mb") => {
      const value = inRange(flags, name, 1, 1 << 20);
      return value === undefined ? undefined : value * MIB;
    };
    if (flags["work-cap-mb"] !== undefined) limits.workBytes = mib("work-cap-mb");
    if (flags["max-picture-mb"] !== undefined) limits.pictureBytes = mib("max-picture-mb");
    if (flags["max-video-mb"] !== undefined) limits.videoBytes = mib("max-video-mb");
    if (flags["max-frames"] !== undefined) limits.videoFrames = inRange(flags, "max-frames", 1, 1e7);
    const threads = inRange(flags, "threads", 1, 1024);
    if (threads !== undefined) setNumThreads(threads);

    const server = await createServer({
      port,
      host,
      modelsDir,
      workDir: flags.work,
      limits,
      log: (line) => process.stderr.write(`dime serve: ${line}\n`),
    });
    let url: string;
    try {
      url = await server.listen();
    } catch (error) {
      await server.close();
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EADDRINUSE") throw new UsageError(`port ${port} on ${host} is in use: pick another with --port`);
      if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND") throw new UsageError(`--host ${host}: not an address of this machine`);
      throw error;
    }
    if (!LOOPBACK.has(host))
      process.stderr.write(
        `dime serve: warning: listening on ${host}: anyone who can reach this machine on port ${new URL(url).port} can upload files and run jobs here\n`,
      );
    const models = listModels(modelsDir);
    console.log(
      `dime serve: ${url}  (${models.length} model${models.length === 1 ? "" : "s"}; work files in ${server.work.root}; Ctrl-C stops)`,
    );

    // The first signal stops gracefully (jobs cancelled, their partial files removed, the work
    // folder removed); a second exits at once, removing the temporary files and the work folder.
    const controller = new AbortController();
    return withInterrupts(
      {
        command: "dime serve",
        kept: () => "the work files removed",
        graceful: { controller, note: (signal) => `${signal}: cancelling the jobs and stopping (again to quit at once)` },
      },
      async () => {
        await new Promise<void>((resolve) => controller.signal.addEventListener("abort", () => resolve(), { once: true }));
        await server.close();
        return exitCodeFor(controller.signal.reason as StopSignal);
      },
    );
  },
};
