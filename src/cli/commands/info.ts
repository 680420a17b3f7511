// `dime info`: what a configuration costs (parameters per module, multiply-adds per frame), or
// what a checkpoint file holds (--checkpoint: ours, or PyTorch's, read without running it).
import { noArguments } from "../checks.js";
import { describeModel, formatModelInfo } from "../../dime/info.js";
import { loadConfig } from "../../dime/config/file.js";
import { describeCheckpointFile, formatCheckpointInfo } from "../../checkpoint/describe.js";
import { UsageError, type Command } from "../command.js";
import { defineFlags, parseFlags } from "../flags.js";
import { writeJson } from "../json.js";

const HELP = `Usage: dime info --config FILE [--json FILE]
       dime info --checkpoint FILE [--json FILE]

With --config: builds the configured model with random weights and prints its parameter count
per module (KeypointDetector, CoarseMotion, MotionODE, Encoder, SelfFlow, Generator) and the
multiply-adds (convolutions and linear layers) to animate one frame at the configured frame size
with the configured number of references, plus those of the per-job work done once per source.

With --checkpoint: lists what a checkpoint file holds without loading its tensors: the format,
the top-level entries, every tensor's name, dtype and shape, the total size, and the model it
recognises (FOMM, TPSMM, MRAA, dime). Reads dime's safetensors checkpoints and PyTorch's
.pth/.pth.tar files (zip and legacy torch.save formats) through an allow-list reader: nothing in
the file is run.

  --config FILE       a model configuration (configs/*.yaml)
  --checkpoint FILE   a checkpoint file (.safetensors, .pth, .pth.tar, .pt)
  --json FILE         also write the figures (or the listing) as JSON to FILE`;

const FLAGS = defineFlags({ config: "string", checkpoint: "string", json: "string" });

export const infoCommand: Command = {
  name: "info",
  summary: "parameters and multiply-adds of a configuration, or what a checkpoint file holds",
  help: HELP,
  async run(argv) {
    const { positional, flags } = parseFlags(argv, FLAGS);
    noArguments(positional, "info");
    if (flags.checkpoint !== undefined) {
      if (flags.config !== undefined) throw new UsageError("give --config or --checkpoint, not both");
      const info = describeCheckpointFile(flags.checkpoint);
      console.log(formatCheckpointInfo(info));
      if (flags.json !== undefined) writeJson(flags.json, info);
      return 0;
    }
    if (flags.config === undefined)
      throw new UsageError("--config FILE or --checkpoint FILE is required (for example --config configs/synth-faces-64.yaml)");
    const path = flags.config;
    const info = describeModel(loadConfig(path));
    console.log(formatModelInfo(info, path));
    if (flags.json !== undefined) writeJson(flags.json, { config: path, ...info });
    return 0;
  },
};
