// Precise batch norm: the running statistics of every BatchNorm2d recomputed after training as the
// plain average over a number of training batches, with the weights fixed. During training each
// layer keeps an exponential average (momentum 0.1) over its last few batches, taken while the
// weights were still moving, and the keypoint detector's also averages in the warped frames of
// the equivariance loss; neither is what the trained model sees at inference.
//
// The same pass finishes stochastic weight averaging (Izmailov et al. 2018, "Averaging weights
// leads to wider optima and better generalization"): the weights of several checkpoints of one
// run averaged, whose batch norms then have no statistics of their own and need exactly this.
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";

import * as torch from "../torch/index.js";
import type { Device } from "../torch/index.js";
import type { DiME } from "../dime/dime.js";
import type { TrainingBatch } from "../dime/objective.js";
import { BatchNorm2d } from "../nn/norm.js";
import type { DataLoader } from "../data/loader.js";
import { CheckpointError, findCheckpoint, loadCheckpoint, type CheckpointEntry } from "../checkpoint/index.js";
import { firstDifference } from "../dime/config/diff.js";
import { readCheckpointTensors, readSidecar, saveCheckpoint } from "../checkpoint/files.js";
import { TrainError } from "./errors.js";
import { openTrainingLoader } from "./session.js";
import { toTrainingBatch } from "./trainer.js";

export interface RecalibrateOptions {
  /** Batches to average over (the first this many of `batches`). */
  batches: number;
  /** Called after each batch with the number done. */
  onBatch?: (done: number) => void;
}

/**
 * Resets the running mean and variance of every BatchNorm2d of `model` and sets them to the
 * cumulative average over the first `options.batches` batches, run through `model.forward` in
 * training mode without gradients (the source, driving and reference frames, as a training step
 * sees them). Parameters do not change; each layer's momentum and the model's mode are restored.
 * Returns the number of batches used (fewer when `batches` runs out first).
 * @throws RangeError when options.batches is not a positive integer or the model has no BatchNorm2d.
 */
export async function recalibrateBatchNorm(
  model: DiME,
  batches: AsyncIterable<TrainingBatch>,
  options: RecalibrateOptions,
): Promise<number> {
  if (!Number.isInteger(options.batches) || options.batches < 1)
    throw new RangeError(`recalibrateBatchNorm: batches must be a positive integer, got ${options.batches}`);
  const norms = [...model.modules()].filter((m): m is BatchNorm2d => m instanceof BatchNorm2d && m.trackRunningStats);
  if (norms.length === 0) throw new RangeError("recalibrateBatchNorm: the model has no batch norm with running statistics");
  const momenta = norms.map((n) => n.momentum);
  const wasTraining = model.training;
  for (const norm of norms) {
    norm.resetRunningStats();
    norm.momentum = null;
  }
  model.train();
  let done = 0;
  try {
    for await (const batch of batches) {
      torch.tidy(() => torch.noGrad(() => model.forward(batch.source, batch.driving, batch.references)));
      done += 1;
      options.onBatch?.(done);
      if (done === options.batches) break;
    }
  } finally {
    norms.forEach((norm, i) => (norm.momentum = momenta[i]));
    if (!wasTraining) model.eval();
  }
  return done;
}

export interface RecalibrateCheckpointOptions {
  /** A dataset folder with train/: the batches are drawn from it as training draws them. */
  data: string;
  /** Folder for the recalibrated checkpoint (made when missing); not the input checkpoint's. */
  out: string;
  /** Batches to average over (default 100). */
  batches?: number;
  /** Items per batch (default the config's train_params.batch_size). */
  batchSize?: number;
  /**
   * More checkpoints of the same model: the weights written are the plain average of theirs and
   * the checkpoint's own (stochastic weight averaging), recalibrated. No optimizer state is
   * written then, as it belongs to none of the averages.
   */
  average?: string[];
  /** Seeds the data order and augmentation (default 0). */
  seed?: number;
  device?: Device;
  onBatch?: (done: number, total: number) => void;
}

export interface RecalibrateSummary {
  /** The weights file written. */
  path: string;
  step: number;
  /** Checkpoints whose weights were averaged (1 without options.average). */
  averaged: number;
  batches: number;
  seconds: number;
}

/**
 * Loads the checkpoint at `path`, recalibrates its batch norms over training batches of
 * `options.data` and writes it to `options.out` under the same step: the new weights (only the
 * running statistics differ), the optimizer's state unchanged when the checkpoint has it (it can
 * then be resumed), and a sidecar recording the recalibration. Files are written atomically, the sidecar last.
 * @throws CheckpointError for a missing or incomplete checkpoint or an `out` that is its folder;
 *   TrainError for a data folder that is missing or whose train/ makes no whole batch.
 */
export async function recalibrateCheckpoint(path: string, options: RecalibrateCheckpointOptions): Promise<RecalibrateSummary> {
  const started = performance.now();
  const entry = findCheckpoint(path);
  if (resolve(options.out) === resolve(dirname(entry.weightsPath))) {
    throw new CheckpointError(
      `${options.out}: is the folder of ${entry.weightsPath}, whose step it would overwrite: give another --out folder`,
    );
  }
  const batches = options.batches ?? 100;
  const seed = options.seed ?? 0;
  const others: CheckpointEntry[] = [];
  for (const path of options.average ?? []) others.push(averagedEntry(path, entry, others));
  const { model, config } = loadCheckpoint(entry.weightsPath, options.device ? { device: options.device } : {});
  const device = options.device ?? "cpu";
  let loader: DataLoader | undefined;
  try {
    if (others.length > 0) averageInto(model, others);
    const drawn = structuredClone(config);
    drawn.train_params.batch_size = options.batchSize ?? config.train_params.batch_size;
    loader = await openTrainingLoader(options.data, drawn, seed);
    const source = loader;
    const batchSize = drawn.train_params.batch_size;
    async function* training(): AsyncGenerator<TrainingBatch> {
      for (let epoch = 0; ; epoch++) {
        let yielded = 0;
        for await (const batch of source.epoch(epoch)) {
          yielded += 1;
          yield toTrainingBatch(batch, device);
        }
        if (yielded === 0)
          throw new TrainError(
            `${options.data}/train: ${source.epochLength} videos make no whole batch of ${batchSize}: lower --batch-size or add videos`,
          );
      }
    }
    const used = await recalibrateBatchNorm(model, training(), { batches, onBatch: (done) => options.onBatch?.(done, batches) });
    const recalibrated = {
      data: options.data,
      batches: used,
      batch_size: batchSize,
      seed,
      ...(others.length > 0 ? { averaged: [entry, ...others].map((e) => e.weightsPath) } : {}),
    };
    const { files: _files, ...sidecar } = entry.sidecar;
    const hasOptimizer = others.length === 0 && readSidecar(entry.sidecarPath, true) !== undefined;
    mkdirSync(options.out, { recursive: true });
    const written = torch.tidy(() =>
      saveCheckpoint(options.out, {
        weights: model.stateDict(),
        ...(hasOptimizer ? { optimizerTensors: readCheckpointTensors(entry.optimizerPath, entry.sidecar.files.optimizer).tensors } : {}),
        sidecar: { ...sidecar, written: new Date().toISOString(), recalibrated },
      }),
    );
    return { path: written, step: entry.step, averaged: others.length + 1, batches: used, seconds: (performance.now() - started) / 1000 };
  } finally {
    await loader?.close();
    model.dispose();
  }
}

/**
 * The checkpoint at `path`, to be averaged with `first`: refused in one line when it is `first`
 * itself or one of `accepted` again, or another model (the first model_params key that differs,
 * ODE and references included).
 */
function averagedEntry(path: string, first: CheckpointEntry, accepted: readonly CheckpointEntry[]): CheckpointEntry {
  const entry = findCheckpoint(path);
  const weights = resolve(entry.weightsPath);
  if (weights === resolve(first.weightsPath)) {
    throw new CheckpointError(`${entry.weightsPath}: is the checkpoint itself; give each checkpoint to average once`);
  }
  if (accepted.some((other) => resolve(other.weightsPath) === weights)) {
    throw new CheckpointError(`${entry.weightsPath}: is given twice to --average; give each checkpoint to average once`);
  }
  const difference = firstDifference(first.sidecar.config.model_params, entry.sidecar.config.model_params);
  if (difference) {
    throw new CheckpointError(
      `${entry.weightsPath}: has model_params.${difference.path}=${difference.second} but ${first.weightsPath} has ${difference.first}: only checkpoints of one model can be averaged`,
    );
  }
  return entry;
}

/**
 * Sets every floating parameter and buffer of `model` (loaded from the first checkpoint) to the
 * mean of its own value and those of `others`' weight files. Integer buffers (batch norm's
 * counters) keep the model's.
 */
function averageInto(model: DiME, others: CheckpointEntry[]): void {
  torch.tidy(() => {
    const sums = new Map([...model.stateDict()].filter(([, t]) => torch.isFloating(t.dtype)).map(([name, t]) => [name, t.clone()]));
    for (const other of others) {
      const tensors = readCheckpointTensors(other.weightsPath, other.sidecar.files.weights).tensors;
      for (const [name, sum] of sums) {
        const value = tensors.get(name);
        if (value === undefined || value.shape.join() !== sum.shape.join()) {
          throw new CheckpointError(
            `${other.weightsPath}: ${value === undefined ? "has no" : "has a mis-shaped"} ${name}: the file is damaged; use another checkpoint`,
          );
        }
        sum.add_(value.to(sum.device));
      }
      torch.dispose(tensors);
    }
    const count = others.length + 1;
    model.loadStateDict(new Map([...sums].map(([name, sum]) => [name, sum.div(count)])), { strict: false });
  });
}
