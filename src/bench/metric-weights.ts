// Random-weight stand-ins for the metric networks' files (LPIPS backbone and FID Inception), for
// `dime bench eval` and the tests: the real weights cannot be downloaded here, and a network's cost
// does not depend on its weights' values. dime eval itself never makes these; its figures need the
// real files (docs/evaluation.md).
import { join } from "node:path";

import * as torch from "../torch/index.js";
import type { Module } from "../nn/index.js";
import { writeSafetensors } from "../io/safetensors.js";
import { InceptionV3Features, Lpips, type LpipsNet } from "../eval/metrics/index.js";

function writeModule(path: string, module: Module): string {
  try {
    torch.tidy(() => writeSafetensors(path, module.stateDict()));
  } finally {
    module.dispose();
  }
  return path;
}

/**
 * DIR/lpips-NET-random.safetensors: a whole LPIPS state dict under torchvision's and LPIPS's
 * names (so it serves as the backbone file), libtorch's default initialisation after
 * manualSeed(seed). Returns the path.
 */
export function writeRandomLpips(dir: string, net: LpipsNet = "alex", seed = 0): string {
  torch.manualSeed(seed);
  return writeModule(join(dir, `lpips-${net}-random.safetensors`), new Lpips(net));
}

/** DIR/inception-random.safetensors: the FID Inception's tensors, default initialisation (about 95 MB). */
export function writeRandomInception(dir: string, seed = 0): string {
  torch.manualSeed(seed);
  return writeModule(join(dir, "inception-random.safetensors"), new InceptionV3Features());
}
