// Fixtures for the inference tests: a tiny random-weight DiME saved as a checkpoint in the format
// dime train writes (NAME.safetensors + NAME.json with the config) and short driving clips.
import { statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";

import * as torch from "../src/torch/index.js";
import { DiME } from "../src/dime/dime.js";
import { DEFAULT_CONFIG, type DimeConfig, type ModelParams } from "../src/dime/config/schema.js";
import { writeSafetensors } from "../src/io/safetensors.js";
import type { RgbImage } from "../src/media/image.js";
import { VideoWriter } from "../src/media/video-write.js";
import { tinyFaceVideo } from "./helpers/tiny-video.js";

export const SIZE = 64;

/** A config for `params` at SIZE x SIZE (the rest is the default's, with losses that fit 64 px). */
export function configFor(params: ModelParams): DimeConfig {
  return {
    dataset_params: { ...DEFAULT_CONFIG.dataset_params, frame_shape: [SIZE, SIZE, 3] },
    model_params: params,
    train_params: { ...DEFAULT_CONFIG.train_params, scales: [1, 0.5, 0.25], perceptual: "pixel" },
  };
}

/**
 * Writes a random-weight model for `config` as DIR/NAME.safetensors + DIR/NAME.json, with the
 * sidecar fields inference reads from a trainer's checkpoint (format, step, files, config; a
 * trained one also holds the optimizer, schedule and RNG state); returns the .safetensors path.
 */
export function writeCheckpoint(dir: string, name: string, config: DimeConfig, seed = 3): string {
  torch.manualSeed(seed);
  const model = new DiME(config.model_params);
  const weights = join(dir, `${name}.safetensors`);
  torch.tidy(() => writeSafetensors(weights, model.stateDict()));
  model.dispose();
  const files = {
    weights: { name: basename(weights), bytes: statSync(weights).size },
    optimizer: { name: `${name}.optimizer.safetensors`, bytes: 0 },
  };
  writeFileSync(join(dir, `${name}.json`), JSON.stringify({ format: "dime-checkpoint", version: 1, step: 0, files, config }));
  return weights;
}

/** `count` frames of a tiny synthetic face moving, as planar RGB at SIZE. */
export function faceFrames(count: number, seed: number): RgbImage[] {
  return torch.tidy(() => {
    const video = tinyFaceVideo(count, SIZE, seed); // (T, 3, S, S)
    return video.unbind(0).map((frame) => ({ data: frame.contiguous().data<"float32">(), width: SIZE, height: SIZE }));
  });
}

/** Writes `frames` as a video (or a PNG frame folder, for a path without extension) at `fps`. */
export async function writeFrames(path: string, frames: readonly RgbImage[], fps: number | string): Promise<void> {
  const writer = new VideoWriter(path, { fps, width: frames[0].width, height: frames[0].height });
  for (const frame of frames) await writer.write(frame);
  await writer.close();
}
