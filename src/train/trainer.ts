// The training loop (paper section 3.3, DESIGN section 5): batches from the loader, one tidy scope
// per step (objective, backward, Adam, schedule), every loss term checked finite before the update,
// with adversarial training the discriminator's own step after the generator's (FOMM's train.py),
// a JSONL record and the progress line per step, a sample picture and a checkpoint every N steps,
// and a checkpoint when it ends or is asked to stop (Ctrl-C in the CLI, an AbortSignal here).
import { join } from "node:path";

import * as torch from "../torch/index.js";
import type { Tensor } from "../torch/index.js";
import { describeReconstructionLoss } from "../dime/losses/index.js";
import type { TrainingBatch } from "../dime/objective.js";
import type { Batch } from "../data/batch.js";
import { ATOMIC_IO, checkpointStem, rotateCheckpoints, saveCheckpoint, type CheckpointIo } from "../checkpoint/files.js";
import { NonFiniteLossError, TrainError } from "./errors.js";
import { TrainLog, type StepRecord } from "./log.js";
import { ProgressBar, SILENT_PROGRESS, type ProgressReporter } from "../util/progress.js";
import { Transform } from "../dime/losses/transform.js";
import { sampleData, writeSample, type SampleData } from "./samples.js";
import { openSession, type Session, type TrainOptions } from "./session.js";
import { captureCheckpoint } from "./state.js";
import { turnEventLoop } from "../util/event-loop.js";

export type { TrainOptions } from "./session.js";

export interface TrainHooks {
  /** Where progress goes (default: a ProgressBar on stderr; SILENT_PROGRESS for none). */
  progress?: ProgressReporter;
  /** Stops the run after the current step, with a checkpoint, as Ctrl-C does. */
  signal?: AbortSignal;
  /** After each step (its log record); return "stop" to stop as `signal` does. */
  onStep?(record: StepRecord): void | "stop";
  /** For tests: sees the weighted loss terms of each step before they are checked, and may replace them. */
  lossTerms?(step: number, losses: Map<string, Tensor>): void;
  /** For tests: the writes checkpoints go through (to simulate a crash half way through one). */
  checkpointIo?: CheckpointIo;
}

export interface TrainSummary {
  runDir: string;
  /** The step the session began at (0 for a new run) and the last step done. */
  startStep: number;
  step: number;
  totalSteps: number;
  /** "finished": all steps done; "interrupted": stopped early by the signal or a hook. */
  stopped: "finished" | "interrupted";
  /** Wall seconds of this session's steps, and its speed. */
  seconds: number;
  stepsPerSecond: number;
  /** The last step's loss terms (`total` and the weighted terms). */
  losses: Record<string, number>;
  /** The weights file of the last checkpoint written or resumed from. */
  checkpoint?: string;
}

/**
 * Trains DiME as `options` say and returns a summary once the run finishes or is stopped (then
 * with a checkpoint of its last step). Writes RUN_DIR/config.yaml, log.jsonl, checkpoints/ and
 * samples/ (docs/training.md).
 * @throws TrainError (or the config's and data's own errors) for bad options, data or folders,
 *   and NonFiniteLossError when a loss term turns NaN or Inf; the last good checkpoint stays.
 */
export async function train(options: TrainOptions, hooks: TrainHooks = {}): Promise<TrainSummary> {
  const parallel = options.parallel;
  let session: Session;
  try {
    session = await openSession(options);
  } catch (error) {
    throw parallel ? parallel.explain(error) : error;
  }
  // In a data-parallel run only rank 0 reports, logs and writes (as a DDP script guards on rank 0).
  const progress = parallel && !parallel.isMain ? SILENT_PROGRESS : (hooks.progress ?? new ProgressBar());
  let summary: TrainSummary;
  try {
    summary = await new Trainer(session, hooks, progress).run();
  } catch (error) {
    throw parallel ? parallel.explain(error) : error;
  } finally {
    progress.end();
    await session.close();
  }
  parallel?.close();
  return summary;
}

/** The result of one step's scope: numbers only, no tensors. */
interface StepResult {
  loss: Record<string, number>;
  details: Record<string, number>;
  sample?: SampleData;
}

class Trainer {
  readonly #log: TrainLog | undefined;
  readonly #io: CheckpointIo;
  #step: number;
  #epoch: number;
  #position: number;
  #lastCheckpoint: string | undefined;
  #checkpointStep: number;
  #stopRequested = false;

  constructor(
    readonly session: Session,
    readonly hooks: TrainHooks,
    readonly progress: ProgressReporter,
  ) {
    const { start, resumed, folder } = session;
    this.#step = start.step;
    this.#epoch = start.epoch;
    this.#position = start.position;
    this.#lastCheckpoint = resumed?.weightsPath;
    this.#checkpointStep = resumed ? resumed.step : -1;
    const main = !session.parallel || session.parallel.isMain;
    this.#log = !main ? undefined : resumed ? TrainLog.resume(folder.logPath, resumed.step) : TrainLog.create(folder.logPath);
    this.#io = hooks.checkpointIo ?? ATOMIC_IO;
  }

  async run(): Promise<TrainSummary> {
    const { session } = this;
    const { totalSteps, config } = session;
    const onAbort = () => (this.#stopRequested = true);
    this.hooks.signal?.addEventListener("abort", onAbort);
    if (this.hooks.signal?.aborted) this.#stopRequested = true;
    this.#announce();
    const startStep = this.#step;
    const began = performance.now();
    let previous = began;
    let losses: Record<string, number> = {};
    try {
      while (this.#step < totalSteps && !this.#stopRequested) {
        const shard = session.parallel && { rank: session.parallel.rank, count: session.parallel.worldSize };
        for await (const batch of session.loader.epoch(this.#epoch, this.#position, shard)) {
          const step = this.#step + 1;
          const lr = session.parts.optimizer.paramGroups[0].lr;
          const result = this.#trainStep(batch, step);
          // Each rank's loss is its share's: the log gets their mean, the loss of the whole batch.
          if (session.parallel) result.loss = session.parallel.mean(result.loss);
          session.parts.scheduler.step();
          session.parts.adversarial?.scheduler.step();
          this.#advance(batch.shape.batch * (session.parallel?.worldSize ?? 1));
          const now = performance.now();
          const record: StepRecord = {
            event: "step",
            step,
            epoch: this.#epoch,
            lr,
            seconds: session.start.seconds + (now - began) / 1000,
            step_seconds: (now - previous) / 1000,
            loss: result.loss,
            details: result.details,
          };
          previous = now;
          losses = result.loss;
          this.#log?.write(record);
          this.progress.step(record, totalSteps);
          if (result.sample && this.#log) await this.#writeSample(step, result.sample);
          if (step % config.train_params.checkpoint_freq === 0 && step < totalSteps) this.#checkpoint(record.seconds);
          if (this.hooks.onStep?.(record) === "stop") this.#stopRequested = true;
          // Lets a Ctrl-C (or an abort) in between steps, which are synchronous.
          await turnEventLoop();
          if (session.parallel) this.#stopRequested = session.parallel.agreeToStop(this.#stopRequested);
          if (this.#stopRequested || this.#step >= totalSteps) break;
        }
      }
      const seconds = session.start.seconds + (performance.now() - began) / 1000;
      const interrupted = this.#step < totalSteps;
      if (this.#step > this.#checkpointStep) this.#checkpoint(seconds);
      this.#log?.write({ event: "stop", step: this.#step, reason: interrupted ? "interrupted" : "finished", seconds });
      this.progress.note(
        interrupted ? `stopped at step ${this.#step}/${totalSteps}; resume with --resume` : `finished ${totalSteps} steps`,
      );
      const sessionSeconds = (performance.now() - began) / 1000;
      return {
        runDir: session.folder.root,
        startStep,
        step: this.#step,
        totalSteps,
        stopped: interrupted ? "interrupted" : "finished",
        seconds: sessionSeconds,
        stepsPerSecond: (this.#step - startStep) / Math.max(sessionSeconds, 1e-9),
        losses,
        checkpoint: this.#lastCheckpoint,
      };
    } finally {
      this.hooks.signal?.removeEventListener("abort", onAbort);
    }
  }

  #announce(): void {
    const { session } = this;
    const { config, resumed, totalSteps } = session;
    const train = config.train_params;
    const what = resumed
      ? `resuming ${session.folder.root} at step ${resumed.step}/${totalSteps}`
      : `training ${session.folder.root}: ${totalSteps} steps`;
    const line = `${what}, batch ${train.batch_size}, ${session.batchesPerEpoch} batches per epoch, ${session.parts.model.numParameters()} parameters, ${session.device}${session.precision === "fp32" ? "" : ` ${session.precision}`}, ${session.threads} threads, seed ${session.seed}`;
    const loss = describeReconstructionLoss(session.reconstruction);
    for (const message of [line, loss, ...session.notes]) this.progress.note(message);
    this.#log?.write({
      event: resumed ? "resume" : "start",
      step: this.#step,
      message: line,
      loss,
      total_steps: totalSteps,
      threads: session.threads,
      device: session.device,
      seed: session.seed,
    });
  }

  /** One optimizer step inside one scope; throws NonFiniteLossError before updating anything. */
  #trainStep(batch: Batch, step: number): StepResult {
    const { objective, parts, device, precision, parallel } = this.session;
    return torch.tidy(() => {
      const tensors = toTrainingBatch(batch, device);
      const transform = parallel && this.#shardOfTransform(batch.shape.batch);
      const compute = () => objective.compute(tensors, parts.transformGenerator, transform ? { transform } : {});
      // Autocast over the forward and the losses only; backward runs in the forward's dtypes.
      const result = precision === "fp32" ? compute() : torch.withAutocast(device, torch.autocastDtypeOf(precision), compute);
      this.hooks.lossTerms?.(step, result.losses);
      const loss = this.#finite(step, new Map([...result.losses, ["total", result.total]]));
      const details = readScalars(result.details);
      parts.optimizer.zeroGrad();
      const scaler = parts.scaler;
      parallel?.beforeBackward();
      if (scaler?.enabled) {
        // fp16: backward on the scaled loss; a step whose gradients overflowed is skipped (the
        // gradients are all-reduced first, so every rank makes the same choice).
        details.loss_scale = scaler.scale;
        scaler.scaleLoss(result.total).backward();
        parallel?.afterBackward();
        details.skipped = scaler.step(parts.optimizer) ? 0 : 1;
        scaler.update();
      } else {
        result.total.backward();
        parallel?.afterBackward();
        parts.optimizer.step();
      }
      const due = step % this.session.config.train_params.sample_freq === 0 || step === this.session.totalSteps;
      const adversarial = parts.adversarial;
      if (!adversarial)
        return { loss: { total: loss.total, ...loss }, details, ...(due ? { sample: sampleData(tensors, result.output) } : {}) };
      // FOMM's train.py: the discriminator's own step after the generator's, on the prediction
      // detached; the gradients the generator's loss left on it are cleared first.
      adversarial.optimizer.zeroGrad();
      const disc = adversarial.loss.discriminatorLoss(result.output.prediction, tensors.driving, result.output.kpDriving.value);
      const discValue = this.#finite(step, new Map([["disc_gan", disc.total]]));
      disc.total.backward();
      adversarial.optimizer.step();
      return {
        loss: { total: loss.total, ...loss, ...discValue },
        details,
        ...(due ? { sample: sampleData(tensors, result.output, undefined, { real: disc.real, generated: disc.generated }) } : {}),
      };
    });
  }

  /**
   * This rank's rows of the warps X one process would draw for the whole batch, so that every
   * rank draws the same numbers and the run matches one process on the combined batch (and a
   * resume with another world size goes on with the same random stream). Undefined when the
   * objective draws none.
   */
  #shardOfTransform(share: number): Transform | undefined {
    const { config, parallel, parts } = this.session;
    const weights = config.train_params.loss_weights;
    const jacobians = config.model_params.switches.jacobians;
    if (!parallel || !(weights.equivariance_value !== 0 || (jacobians && weights.equivariance_jacobian !== 0))) return undefined;
    const all = Transform.random(config.train_params.transform_params, share * parallel.worldSize, parts.transformGenerator);
    return all.rows(parallel.rank * share, share);
  }

  /** The terms' values; the first that is NaN or Inf stops training. */
  #finite(step: number, terms: Map<string, Tensor>): Record<string, number> {
    const values = readScalars(terms);
    for (const [name, value] of Object.entries(values)) {
      if (!Number.isFinite(value)) throw new NonFiniteLossError(step, `loss term '${name}'`, value, this.#lastCheckpoint);
    }
    return values;
  }

  /** Moves the data position past a batch; past the epoch's last whole batch, to the next epoch. */
  #advance(batchSize: number): void {
    this.#step += 1;
    this.#position += batchSize;
    if (this.#position + batchSize > this.session.epochLength) {
      this.#epoch += 1;
      this.#position = 0;
    }
  }

  async #writeSample(step: number, data: SampleData): Promise<void> {
    const path = join(this.session.folder.samples, `${checkpointStem(step)}.png`);
    await writeSample(path, data);
    this.#log?.write({ event: "sample", step, path });
  }

  /** Saves a checkpoint of the current step (never of non-finite weights) and drops old ones. */
  #checkpoint(seconds: number): void {
    const { session } = this;
    if (!this.#log) {
      // Another rank than 0: rank 0 writes the checkpoint; this one only keeps count.
      this.#checkpointStep = this.#step;
      return;
    }
    const { parts, folder, config } = session;
    const bad = firstNonFiniteParameter(parts);
    if (bad) throw new NonFiniteLossError(this.#step, `parameter '${bad}'`, NaN, this.#lastCheckpoint);
    const path = torch.tidy(() => {
      const contents = captureCheckpoint(parts, {
        step: this.#step,
        total_steps: session.totalSteps,
        seconds,
        data: { epoch: this.#epoch, position: this.#position, seed: session.seed, batch_size: config.train_params.batch_size },
        run: { seed: session.seed, threads: session.threads, device: session.device, ...(session.init && { init: session.init }) },
        config,
      });
      try {
        return saveCheckpoint(folder.checkpoints, contents, this.#io);
      } catch (error) {
        const previous = this.#lastCheckpoint
          ? `the previous checkpoint ${this.#lastCheckpoint} is intact`
          : "no earlier checkpoint exists";
        throw new TrainError(
          `${folder.checkpoints}: writing the checkpoint of step ${this.#step} failed (${(error as Error).message}); ${previous}`,
          { cause: error },
        );
      }
    });
    rotateCheckpoints(folder.checkpoints, config.train_params.keep_checkpoints);
    this.#lastCheckpoint = path;
    this.#checkpointStep = this.#step;
    this.#log?.write({ event: "checkpoint", step: this.#step, path });
  }
}

/** The loader's arrays as tensors on `device`: source, driving (B, 3, H, W), references N x (B, 3, H, W). */
export function toTrainingBatch(batch: Batch, device: Session["device"]): TrainingBatch {
  const { batch: b, refs, channels, height, width } = batch.shape;
  const frame = [b, channels, height, width];
  // On a GPU each array goes over in one pinned, non-blocking copy (creation.fromArray).
  const references = refs === 0 ? [] : torch.fromArray(batch.refs, [b, refs, channels, height, width], { device }).unbind(1); // N x (B, C, H, W)
  return {
    source: torch.fromArray(batch.source, frame, { device }),
    driving: torch.fromArray(batch.driving, frame, { device }),
    references,
  };
}

/** Scalars read in one copy: name -> value. */
function readScalars(terms: ReadonlyMap<string, Tensor>): Record<string, number> {
  if (terms.size === 0) return {};
  const values = torch.tidy(
    () =>
      torch
        .stack(
          [...terms.values()].map((t) => t.detach().float().reshape(1)),
          0,
        )
        .view(-1)
        .data() as Float32Array,
  );
  return Object.fromEntries([...terms.keys()].map((name, i) => [name, values[i]]));
}

/** The first parameter holding a NaN or Inf, by its state-dict name. */
function firstNonFiniteParameter(parts: Session["parts"]): string | undefined {
  return torch.tidy(() => {
    for (const [name, p] of parts.model.namedParameters()) if (!p.detach().isfinite().all().item()) return name;
    return undefined;
  });
}
