// `dime info`: what a configuration costs (parameters per module, multiply-adds per frame).
import { describeModel, formatModelInfo } from "../../dime/info.js";
import { loadConfig } from "../../dime/config/file.js";
import { UsageError, type Command } from "../command.js";
import { defineFlags, parseFlags } from "../flags.js";
import { writeJson } from "../json.js";

const HELP = `Usage: dime info --config FILE [--json FILE]

Builds the configured model with random weights and prints its parameter count per module
(KeypointDetector, CoarseMotion, MotionODE, Encoder, SelfFlow, Generator) and the multiply-adds
(convolutions and linear layers) to animate one frame at the configured frame size with the
configured number of references, plus those of the per-job work done once per source.

  --config FILE   a model configuration (configs/*.yaml)
  --json FILE     also write the figures as JSON to FILE`;

const FLAGS = defineFlags({ config: "string", json: "string" });

export const infoCommand: Command = {
  name: "info",
  summary: "parameters per module and multiply-adds per frame of a configuration",
  help: HELP,
  async run(argv) {
    const { positional, flags } = parseFlags(argv, FLAGS);
    if (positional.length > 0) throw new UsageError(`unexpected argument '${positional[0]}' (see dime info --help)`);
    if (flags.config === undefined) throw new UsageError("--config FILE is required (for example --config configs/synth-faces-64.yaml)");
    const path = flags.config;
    const info = describeModel(loadConfig(path));
    console.log(formatModelInfo(info, path));
    if (flags.json !== undefined) writeJson(flags.json, { config: path, ...info });
    return 0;
  },
};
