// `dime bench`: performance figures as a table and, with --json, a file.
import { benchData, formatDataBench } from "../../data/bench.js";
import { benchEngine, formatEngineBench } from "../../bench/engine.js";
import { UsageError, type Command } from "../command.js";
import { parseFlags } from "../flags.js";
import { writeJson } from "../json.js";

const HELP = `Usage: dime bench engine|data [--json FILE] [options]

Measures performance and prints a table.

  engine          per-op overhead (a 1-element add, repeated) and a 3x3 convolution
                  64->64 channels on 1x64x64x64, forward and forward+backward, in ms and GFLOP/s
  data            synthetic frames per second at 64, 128 and 256 px, and loader samples per
                  second at 64 and 256 px for the frame-folder and mp4 layouts
  --json FILE     also write the figures as JSON to FILE
  --threads LIST  engine: libtorch thread counts to measure, comma-separated (default 1,2)
  --calls N       engine: adds timed for the overhead figure (default 100000)
  --runs N        engine: timed runs of each convolution case; the median is reported (default 20)
  --workers N     data: loader worker threads (default 2)`;

const progress = (message: string) => process.stderr.write(`  ${message}\n`);

export const bench: Command = {
  name: "bench",
  summary: "measure performance (engine: per-op overhead and conv GFLOP/s; data: synth and loader throughput)",
  help: HELP,
  async run(argv) {
    const { positional, flags } = parseFlags(argv, { json: "string", threads: "string", calls: "int", runs: "int", workers: "int" });
    const suite = positional[0];
    if (suite === "engine") {
      const threads = String(flags.threads ?? "1,2")
        .split(",")
        .map((s) => Number(s));
      if (threads.some((t) => !Number.isInteger(t) || t < 1)) throw new UsageError(`--threads: expected positive integers like 1,2, got '${flags.threads}'`);
      const result = await benchEngine({ threads, overheadCalls: Number(flags.calls ?? 100000), convRuns: Number(flags.runs ?? 20) }, progress);
      console.log(formatEngineBench(result));
      if (flags.json !== undefined) writeJson(String(flags.json), result);
    } else if (suite === "data") {
      const workers = Number(flags.workers ?? 2);
      if (workers < 0) throw new UsageError(`--workers: expected 0 or more, got ${workers}`);
      const result = await benchData({ workers, log: progress });
      console.log(formatDataBench(result));
      if (flags.json !== undefined) writeJson(String(flags.json), result);
    } else {
      throw new UsageError(`unknown benchmark '${suite ?? ""}'; available: engine, data (see dime bench --help)`);
    }
    return 0;
  },
};
