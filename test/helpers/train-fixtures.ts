// Training fixtures: a tiny DiME config at 32 px (every branch on, one reference) and a tiny
// synthetic face dataset, so that a training step takes a few tens of milliseconds.
import { chmodSync } from "node:fs";

import { DEFAULT_CONFIG, type DimeConfig } from "../../src/dime/config/schema.js";
import { parseConfig } from "../../src/dime/config/file.js";
import { generateDataset } from "../../src/synth/generate.js";
import { tinyDimeParams } from "./model-fixtures.js";

/** The tiny model of model-fixtures at 32 px, the pixel loss, batch 2, lr decays at 60% and 90%. */
export function tinyTrainConfig(): DimeConfig {
  const model = tinyDimeParams({ num_refs: 1 });
  model.kp_detector_params.scale_factor = 0.5; // 16 px for the detector
  return parseConfig(
    {
      dataset_params: { frame_shape: [32, 32, 3] },
      model_params: model,
      train_params: {
        ...DEFAULT_CONFIG.train_params,
        num_steps: 8,
        batch_size: 2,
        lr: 1e-3,
        perceptual: "pixel",
        scales: [1, 0.5],
        checkpoint_freq: 2,
        sample_freq: 4,
        keep_checkpoints: 2,
      },
    },
    "tinyTrainConfig",
  );
}

/** A dataset of 4 training videos of 6 frames at 32 px (and a test split) under `out`. */
export async function tinyDataset(out: string): Promise<void> {
  await generateDataset({ kind: "faces", out, videos: 6, frames: 6, size: 32, seed: 3, testFraction: 0.3, samples: 1 });
}

/** `dime train` on `config` and `data` into `out` for `steps` steps on one thread, then `extra`. */
export function trainArgs(config: string, data: string, out: string, steps: number, extra: string[] = []): string[] {
  return ["train", "--config", config, "--data", data, "--out", out, "--steps", String(steps), "--threads", "1", ...extra];
}

export { runDime, startDime } from "./cli.js";

/**
 * Runs `fn` while `folder` cannot be written: mode 555, and as root (who writes anywhere) with the
 * effective user 'nobody', which needs `parent` (the folder's) to be readable by all.
 */
export async function withReadOnlyFolder<T>(folder: string, parent: string, fn: () => Promise<T>): Promise<T> {
  chmodSync(folder, 0o555);
  const root = process.getuid?.() === 0;
  if (root) chmodSync(parent, 0o755);
  if (root) process.seteuid!(65534);
  try {
    return await fn();
  } finally {
    if (root) process.seteuid!(0);
    chmodSync(folder, 0o755);
  }
}
