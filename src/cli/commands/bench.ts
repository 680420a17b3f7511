// `dime bench`: performance figures as a table and, with --json, a file.
import { writeFileSync, renameSync } from "node:fs";

import { benchEngine, formatEngineBench } from "../../bench/engine.js";
import { UsageError, type Command } from "../command.js";
import { parseFlags } from "../flags.js";

const HELP = `Usage: dime bench engine [--json FILE] [--threads LIST] [--calls N] [--runs N]

Measures the tensor engine and prints a table.

  engine          per-op overhead (a 1-element add, repeated) and a 3x3 convolution
                  64->64 channels on 1x64x64x64, forward and forward+backward, in ms and GFLOP/s
  --json FILE     also write the figures as JSON to FILE
  --threads LIST  libtorch thread counts to measure, comma-separated (default 1,2)
  --calls N       adds timed for the overhead figure (default 100000)
  --runs N        timed runs of each convolution case; the median is reported (default 20)`;

export const bench: Command = {
  name: "bench",
  summary: "measure performance (engine: per-op overhead, convolution GFLOP/s)",
  help: HELP,
  async run(argv) {
    const { positional, flags } = parseFlags(argv, { json: "string", threads: "string", calls: "int", runs: "int" });
    const suite = positional[0];
    if (suite !== "engine") throw new UsageError(`unknown benchmark '${suite ?? ""}'; available: engine (see dime bench --help)`);
    const threads = String(flags.threads ?? "1,2")
      .split(",")
      .map((s) => Number(s));
    if (threads.some((t) => !Number.isInteger(t) || t < 1)) throw new UsageError(`--threads: expected positive integers like 1,2, got '${flags.threads}'`);
    const result = await benchEngine(
      { threads, overheadCalls: Number(flags.calls ?? 100000), convRuns: Number(flags.runs ?? 20) },
      (message) => process.stderr.write(`  ${message}\n`),
    );
    console.log(formatEngineBench(result));
    if (flags.json !== undefined) {
      const path = String(flags.json);
      writeFileSync(`${path}.tmp`, `${JSON.stringify(result, null, 2)}\n`);
      renameSync(`${path}.tmp`, path);
      console.log(`wrote ${path}`);
    }
    return 0;
  },
};
