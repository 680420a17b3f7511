// `dime train`: trains DiME on a dataset folder into a run folder (docs/training.md).
import type { Device } from "../../torch/index.js";
import { parseDevice } from "../../torch/index.js";
import { loadConfig } from "../../dime/config/file.js";
import { train } from "../../train/index.js";
import { UsageError, type Command } from "../command.js";
import { defineFlags, parseFlags } from "../flags.js";
import { exitCodeFor, withInterrupts, type StopSignal } from "../interrupt.js";
import { checkpointInputs, datasetInputs, refuseOutputsOverInputs } from "../same-file.js";
import { precisionHelp, precisionOf } from "../checks.js";

const HELP = `Usage: dime train --config FILE --data DIR --out RUN_DIR [options]

Trains DiME (paper section 3.3): the reconstruction loss the config names (perceptual on VGG-19
features, or the pixel L1 + SSIM stand-in) plus keypoint equivariance, Adam with the learning rate
dropping x0.1 at train_params.lr_milestones, flip and colour-jitter augmentation, and
model_params.switches.num_refs reference frames per item. Progress goes to stderr. RUN_DIR gets
config.yaml, log.jsonl (every loss term of every step), samples/step-NNNNNN.png and
checkpoints/step-NNNNNN.safetensors with a .json sidecar (the last few kept). Ctrl-C writes a
checkpoint and exits with code 130, SIGTERM (a scheduler's warning before it kills) the same
with code 143; --resume continues the run exactly where it stopped.
Afterwards, dime recalibrate recomputes the batch-norm statistics of the last checkpoint
("precise BN"); on the demo model that lowered the test reconstruction L1 from 0.0278 to 0.0232.

Options:
  --config FILE            the model and training config, e.g. configs/synth-faces-64.yaml
                           (with --resume it may be left out; given, it must match the run's)
  --data DIR               dataset folder holding train/ (dime synth --kind faces --out DIR)
  --out RUN_DIR            run folder: new or empty, or with --resume the run to continue
  --steps N                total optimizer steps (default train_params.num_steps)
  --epochs N               or the total in epochs of DIR/train (whole batches of each video once)
  --batch-size B           items per step (default train_params.batch_size)
  --lr RATE                learning rate before the first drop (default train_params.lr); with
                           --init, a lower one fine-tunes without first undoing the training
  --resume                 continue RUN_DIR from its latest complete checkpoint
  --init CKPT              start a new run from a checkpoint's weights (a file or run folder; its
                           model_params must be the config's, but for switches.ode and num_refs):
                           fine-tuning, or a warm restart of a finished run. The optimizer, the
                           learning-rate schedule, the step count and the data order start afresh
  --device cpu|cuda        where to train (default cpu)
${precisionHelp(27)}
                           Over the forward and the losses; fp16 adds dynamic loss scaling
                           (saved in checkpoints). A resume keeps the run's unless given.
  --threads N              libtorch threads (default: all cores; a resume keeps the run's)
  --seed S                 seeds the initialisation, the warps and the data order (default 0)
  --vgg-weights FILE       VGG-19 safetensors for perceptual: vgg (else train_params.vgg_weights)
  --checkpoint-every N     steps between checkpoints (default train_params.checkpoint_freq)
  --sample-every N         steps between sample pictures (default train_params.sample_freq)
  --keep N                 checkpoints to keep (default train_params.keep_checkpoints)
  --workers N              data loader threads (default 1; 0 loads in the main thread)

Exit codes: 0 finished, 130 stopped by Ctrl-C and 143 by SIGTERM (a checkpoint of the last step
was written),
1 an error (one line on stderr; a NaN or Inf loss names the step and the term, and the last good
checkpoint stays).`;

const FLAGS = defineFlags({
  config: "string",
  data: "string",
  out: "string",
  steps: "int",
  epochs: "int",
  "batch-size": "int",
  lr: "number",
  resume: "bool",
  init: "string",
  device: "string",
  precision: "string",
  threads: "int",
  seed: "int",
  "vgg-weights": "string",
  "checkpoint-every": "int",
  "sample-every": "int",
  keep: "int",
  workers: "int",
});

export const trainCommand: Command = {
  name: "train",
  summary: "train DiME on a dataset folder, with checkpoints, samples and exact resume",
  help: HELP,
  async run(argv) {
    const { positional, flags } = parseFlags(argv, FLAGS);
    if (positional.length > 0) throw new UsageError(`unexpected argument '${positional[0]}'. Run \`dime train --help\`.`);
    const { config: configPath, data, out } = flags;
    const resume = flags.resume === true;
    if (!configPath && !resume) throw new UsageError("--config FILE is required (e.g. configs/synth-faces-64.yaml)");
    if (!data) throw new UsageError("--data DIR is required (a dataset folder with train/)");
    if (!out) throw new UsageError("--out RUN_DIR is required");
    let device: Device | undefined;
    try {
      device = flags.device === undefined ? undefined : parseDevice(flags.device);
    } catch (error) {
      throw new UsageError(`--device: ${(error as Error).message}`);
    }
    const precision = flags.precision === undefined ? undefined : precisionOf(flags.precision, device ?? "cpu", "train");

    refuseOutputsOverInputs(
      [{ flag: "--out", path: out }],
      [
        ...datasetInputs("--data", data),
        ...(configPath ? [{ flag: "--config", path: configPath }] : []),
        ...(flags.init !== undefined ? checkpointInputs("--init", flags.init as string) : []),
        ...(flags["vgg-weights"] !== undefined ? [{ flag: "--vgg-weights", path: flags["vgg-weights"] as string }] : []),
      ],
    );
    const controller = new AbortController();
    // SIGTERM is what a cluster scheduler sends before it kills: save the step as Ctrl-C does.
    const graceful = {
      controller,
      note: (signal: StopSignal) =>
        `${signal === "SIGINT" ? "Ctrl-C" : "SIGTERM"}: stopping after this step and writing a checkpoint (${signal === "SIGINT" ? "Ctrl-C" : "a signal"} again quits at once)`,
    };
    const kept = () => "the last complete checkpoint stays (checkpoints are written atomically)";
    return withInterrupts({ command: "dime train", kept, graceful }, async () => {
      const summary = await train(
        {
          config: configPath ? loadConfig(configPath) : undefined,
          configSource: configPath,
          data,
          out,
          resume,
          device,
          precision,
          init: flags.init,
          steps: flags.steps,
          epochs: flags.epochs,
          batchSize: flags["batch-size"],
          lr: flags.lr,
          threads: flags.threads,
          seed: flags.seed,
          vggWeights: flags["vgg-weights"],
          checkpointEvery: flags["checkpoint-every"],
          sampleEvery: flags["sample-every"],
          keep: flags.keep,
          workers: flags.workers,
        },
        { signal: controller.signal },
      );
      const done = summary.step - summary.startStep;
      console.log(
        `${summary.runDir}: ${summary.stopped} at step ${summary.step}/${summary.totalSteps} (${done} steps in ${summary.seconds.toFixed(1)} s, ${summary.stepsPerSecond.toFixed(2)} steps/s); checkpoint ${summary.checkpoint ?? "none"}`,
      );
      if (summary.stopped !== "interrupted") return 0;
      return controller.signal.aborted ? exitCodeFor(controller.signal.reason as StopSignal) : 130;
    });
  },
};
