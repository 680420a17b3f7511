// `dime train`: trains DiME on a dataset folder into a run folder (docs/training.md).
import type { Device } from "../../torch/index.js";
import { parseDevice } from "../../torch/index.js";
import { loadConfig } from "../../dime/config/file.js";
import { train } from "../../train/index.js";
import { DataParallel, DEFAULT_DIST_TIMEOUT_S, rankPlaceFromEnv } from "../../train/distributed.js";
import { launch } from "../../train/launch.js";
import { UsageError, type Command } from "../command.js";
import { defineFlags, parseFlags } from "../flags.js";
import { exitCodeFor, withInterrupts, type StopSignal } from "../interrupt.js";
import { checkpointInputs, datasetInputs, refuseOutputsOverInputs } from "../same-file.js";
import { precisionHelp, precisionOf, noArguments } from "../checks.js";

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

Across processes and machines (docs/distributed.md; torchrun + DistributedDataParallel on c10d):
  --nproc-per-node N       start N ranks on this node (Gloo on the CPU); --batch-size is then the
                           batch of all ranks together, each loading its share; rank 0 alone writes
  --nnodes M               nodes in the run (default 1); start the same command on each
  --node-rank R            this node's index, 0..M-1 (default 0; node 0 hosts the store)
  --master-addr HOST       address of node 0 (default 127.0.0.1)
  --master-port P          its store's port (default: a free one on a single node; 29500 else)
  --local-addr HOST        this node's address for Gloo's connections (default: the master address
                           on one node, the address of the host name on several)
  --dist-timeout S         seconds a rank waits for a silent peer before the run stops (default ${DEFAULT_DIST_TIMEOUT_S})
  --dist-backend B         gloo (default) or nccl (a CUDA libtorch's)

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
  "nproc-per-node": "int",
  nnodes: "int",
  "node-rank": "int",
  "master-addr": "string",
  "master-port": "int",
  "dist-timeout": "number",
  "dist-backend": "string",
  "local-addr": "string",
});

const LAUNCHER_FLAGS = [
  "nproc-per-node",
  "nnodes",
  "node-rank",
  "master-addr",
  "master-port",
  "dist-timeout",
  "dist-backend",
  "local-addr",
];

/** The arguments without the launcher's flags (and their values): what each rank is given. */
function rankArgs(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].replace(/^--/, "").split("=")[0];
    if (argv[i].startsWith("--") && LAUNCHER_FLAGS.includes(name)) {
      if (!argv[i].includes("=")) i += 1;
      continue;
    }
    out.push(argv[i]);
  }
  return out;
}

export const trainCommand: Command = {
  name: "train",
  summary: "train DiME on a dataset folder, with checkpoints, samples and exact resume",
  help: HELP,
  async run(argv) {
    const { positional, flags } = parseFlags(argv, FLAGS);
    noArguments(positional, "train");
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
    const place = rankPlaceFromEnv();
    if (flags["nproc-per-node"] !== undefined && !place) {
      const count = (flag: string, value: number | undefined, least: number, fallback: number) => {
        if (value === undefined) return fallback;
        if (!(Number.isSafeInteger(value) && value >= least))
          throw new UsageError(`--${flag} must be an integer >= ${least}, got ${value}`);
        return value;
      };
      const nprocPerNode = count("nproc-per-node", flags["nproc-per-node"], 1, 1);
      const nnodes = count("nnodes", flags.nnodes, 1, 1);
      const nodeRank = count("node-rank", flags["node-rank"], 0, 0);
      if (nodeRank >= nnodes) throw new UsageError(`--node-rank ${nodeRank} must be below --nnodes ${nnodes}`);
      const timeoutS = flags["dist-timeout"] ?? DEFAULT_DIST_TIMEOUT_S;
      if (!(timeoutS > 0)) throw new UsageError(`--dist-timeout must be a number of seconds > 0, got ${timeoutS}`);
      const backend = flags["dist-backend"] ?? (device && device !== "cpu" ? "nccl" : "gloo");
      if (backend !== "gloo" && backend !== "nccl") throw new UsageError(`--dist-backend must be gloo or nccl, got ${backend}`);
      const batch = flags["batch-size"];
      if (batch !== undefined && batch % (nprocPerNode * nnodes) !== 0)
        throw new UsageError(
          `--batch-size ${batch} is the batch of all ${nprocPerNode * nnodes} ranks together: give a multiple of ${nprocPerNode * nnodes}`,
        );
      if (nnodes > 1 && flags["master-port"] === undefined)
        throw new UsageError("--master-port P is required with --nnodes > 1 (the same on every node)");
      return launch({
        nprocPerNode,
        nnodes,
        nodeRank,
        masterAddr: flags["master-addr"] ?? "127.0.0.1",
        masterPort: count("master-port", flags["master-port"], 0, 0),
        timeoutS,
        backend,
        localAddr: flags["local-addr"],
        args: rankArgs(argv),
      });
    }
    // A rank started by the launcher (or by torchrun's variables): join the group first.
    const parallel = place ? DataParallel.join(place) : undefined;
    if (parallel && process.env.DIME_LAUNCHER_PIPE === "1") {
      // The launcher holds our stdin: when it goes away, so does this rank (no orphans).
      process.stdin.on("end", () => process.exit(1));
      process.stdin.on("error", () => process.exit(1));
      process.stdin.resume();
      process.stdin.unref?.();
    }
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
          parallel,
        },
        { signal: controller.signal },
      );
      const done = summary.step - summary.startStep;
      if (parallel && !parallel.isMain) return summary.stopped === "interrupted" ? 130 : 0;
      console.log(
        `${summary.runDir}: ${summary.stopped} at step ${summary.step}/${summary.totalSteps} (${done} steps in ${summary.seconds.toFixed(1)} s, ${summary.stepsPerSecond.toFixed(2)} steps/s); checkpoint ${summary.checkpoint ?? "none"}`,
      );
      if (summary.stopped !== "interrupted") return 0;
      return controller.signal.aborted ? exitCodeFor(controller.signal.reason as StopSignal) : 130;
    });
  },
};
