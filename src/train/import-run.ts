// `dime import`: a FOMM checkpoint written out as a dime run folder, OUT/config.yaml and
// OUT/checkpoints/step-000000.{safetensors,json} (plus step-000000.discriminator.safetensors when
// the file has a discriminator), which dime animate / reconstruct / eval read, and from which
// `dime train --init` fine-tunes. The file is read and checked before anything is written, and the
// folder is removed again if writing fails, so a refusal leaves nothing behind.
import { rmSync } from "node:fs";

import * as torch from "../torch/index.js";
import type { DimeConfig } from "../dime/config/schema.js";
import { Adam, MultiStepLR } from "../optim/index.js";
import { importFommCheckpoint, type ImportedFomm } from "../checkpoint/fomm-import.js";
import { saveCheckpoint } from "../checkpoint/files.js";
import { createRunFolder, saveRunConfig } from "./run-dir.js";
import { captureCheckpoint } from "./state.js";

export interface ImportRunResult {
  /** The checkpoint's weights file. */
  weightsPath: string;
  format: ImportedFomm["format"];
  epoch?: number;
  parameters: number;
  /** Tensors of the discriminator kept beside the model (0 when the file had none). */
  discriminatorTensors: number;
}

/**
 * Imports the FOMM checkpoint `path` with `config` (configs/fomm/*.yaml) into the new run folder
 * `out` (which must not exist or be empty). Throws CheckpointError, TorchCheckpointError or
 * TrainError, each one line.
 */
export function importToRun(path: string, config: DimeConfig, out: string, configSource?: string): ImportRunResult {
  const imported = importFommCheckpoint(path, config, configSource !== undefined ? { configSource } : {});
  const optimizer = new Adam(imported.model.parameters(), {
    lr: config.train_params.lr,
    betas: config.train_params.betas,
    eps: config.train_params.adam_eps,
  });
  let created = false;
  try {
    const folder = createRunFolder(out);
    created = true;
    saveRunConfig(folder, config);
    const parts = {
      model: imported.model,
      optimizer,
      scheduler: new MultiStepLR(optimizer, { milestones: [], gamma: 0.1 }),
      transformGenerator: new torch.Generator(1),
    };
    const weightsPath = torch.tidy(() => {
      const contents = captureCheckpoint(parts, {
        step: 0,
        total_steps: config.train_params.num_steps,
        seconds: 0,
        data: { epoch: 0, position: 0, seed: 0, batch_size: config.train_params.batch_size },
        run: { seed: 0, threads: torch.getNumThreads(), device: "cpu" },
        config,
      });
      const { optimizerTensors, ...rest } = contents;
      torch.dispose(optimizerTensors);
      return saveCheckpoint(folder.checkpoints, {
        ...rest,
        ...(imported.discriminator ? { discriminatorTensors: imported.discriminator } : {}),
        sidecar: {
          ...rest.sidecar,
          imported: {
            checkpoint: path,
            model: "fomm",
            format: imported.format,
            ...(imported.epoch !== undefined ? { epoch: imported.epoch } : {}),
          },
        },
      });
    });
    return {
      weightsPath,
      format: imported.format,
      ...(imported.epoch !== undefined ? { epoch: imported.epoch } : {}),
      parameters: imported.model.numParameters(),
      discriminatorTensors: imported.discriminator?.size ?? 0,
    };
  } catch (error) {
    if (created) rmSync(out, { recursive: true, force: true });
    throw error;
  } finally {
    optimizer.dispose();
    imported.model.dispose();
    torch.dispose(imported.discriminator);
  }
}
