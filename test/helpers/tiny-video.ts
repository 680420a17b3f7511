// A tiny synthetic face video in memory: frames of one identity moving, as a (T, 3, S, S) tensor.
import * as torch from "../../src/torch/index.js";
import type { Tensor } from "../../src/torch/index.js";
import { faces } from "../../src/synth/face-scene.js";
import { Rng } from "../../src/util/prng.js";
import { renderScene } from "../../src/synth/render.js";

export function tinyFaceVideo(frames: number, size: number, seed: number): Tensor {
  const identity = faces.identity(Rng.from(seed, "faces", "identity", 0));
  const motion = faces.motion(Rng.from(seed, "faces", "video", 0), frames);
  const rgb = new Uint8Array(frames * size * size * 3);
  for (let t = 0; t < frames; t++) rgb.set(renderScene(faces.scene(identity, motion(t)), size, size).rgb, t * size * size * 3);
  return torch.tidy(() => torch.fromArray(rgb, [frames, size, size, 3]).float().div(255).permute(0, 3, 1, 2).contiguous());
}
