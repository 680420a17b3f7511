// `dime import CKPT --config FILE -o DIR`: a FOMM checkpoint (.pth / .pth.tar, read without
// Python and without running anything in it) written as a dime run folder.
import { loadConfig } from "../../dime/config/file.js";
import { importToRun } from "../../train/import-run.js";
import { UsageError, type Command } from "../command.js";
import { defineFlags, parseFlags } from "../flags.js";

const HELP = `Usage: dime import CKPT --config FILE -o DIR

Reads a PyTorch checkpoint of FOMM's (First Order Motion Model: vox-cpk.pth.tar and the other
released files, docs/fomm.md), zip or legacy torch.save format, through an allow-list reader
(nothing in the file is run), checks every key and shape against the config's model, and writes
a dime run folder: DIR/config.yaml and DIR/checkpoints/step-000000.safetensors with its .json
sidecar (the keypoint detector and the generator), plus step-000000.discriminator.safetensors
when the file has FOMM's discriminator. dime animate, reconstruct and eval read DIR; dime train
--init DIR/checkpoints/step-000000.safetensors fine-tunes DiME from it. A key or shape that does
not fit is named with the config value that would (for example "num_kp is 10, the config says
15"); TPSMM and MRAA checkpoints are recognised and refused.

  CKPT              the PyTorch checkpoint (.pth, .pth.tar)
  --config FILE     FOMM's architecture: the configs/fomm/*.yaml of the file (docs/fomm.md)
  -o, --out DIR     the run folder to write (must not exist or be empty)`;

const FLAGS = defineFlags({ config: "string", out: "string" });

export const importCommand: Command = {
  name: "import",
  summary: "a FOMM checkpoint (.pth.tar) as a dime checkpoint, read without Python",
  help: HELP,
  async run(argv) {
    const { positional, flags } = parseFlags(
      argv.map((a) => (a === "-o" ? "--out" : a)),
      FLAGS,
    );
    if (positional.length !== 1)
      throw new UsageError(
        positional.length === 0
          ? "give the checkpoint to import: dime import CKPT --config FILE -o DIR"
          : `one checkpoint at a time, got '${positional.join("', '")}'`,
      );
    if (flags.config === undefined) throw new UsageError("--config FILE is required: the configs/fomm/*.yaml of the file (docs/fomm.md)");
    if (flags.out === undefined) throw new UsageError("-o DIR is required: the run folder to write");
    const configPath = flags.config;
    const result = importToRun(positional[0], loadConfig(configPath), flags.out, configPath);
    const extra = result.discriminatorTensors > 0 ? `, and the discriminator's ${result.discriminatorTensors} tensors beside it` : "";
    console.log(
      `imported ${positional[0]} (${result.format} format${result.epoch !== undefined ? `, epoch ${result.epoch}` : ""}): ${(result.parameters / 1e6).toFixed(2)} M parameters into ${result.weightsPath}${extra}`,
    );
    return 0;
  },
};
