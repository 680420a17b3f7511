// Deterministic stand-in weights for VGG-19 (the golden fixtures' hash generator,
// shared/golden/README.md "VGG19 weights (hash generator)"): every value comes from an integer hash
// of (seed, tensor number, element index), so any language regenerates them bit for bit.
//
// NEVER FOR TRAINING: these are random features, not ImageNet's; a perceptual loss built on them
// measures nothing useful. They exist so that tests and benchmarks run the real VGG-19 graph
// without the 550 MB ImageNet download.
import * as torch from "../../torch/index.js";
import type { Tensor } from "../../torch/index.js";
import { VGG19_CONVS } from "./vgg19.js";

/** The fixtures' hash mixer on unsigned 32-bit integers. */
function mix32(value: number): number {
  let x = value >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x ^= x >>> 15;
  x = Math.imul(x, 0x2c1b3c6d) >>> 0;
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * The exact float32 step of tensor `features.<i>.weight` (He-uniform bound / 32767.5, from its
 * input channels) or of any bias (0.1 / 32767.5).
 */
export function hashScale(kind: "weight" | "bias", inChannels: number): number {
  return Math.fround(kind === "weight" ? Math.sqrt(6 / (inChannels * 9)) / 32767.5 : 0.1 / 32767.5);
}

/**
 * The fixtures' VGG-19 weights: `features.{0,2,...,28}.{weight,bias}` (torchvision's names and
 * shapes, float32, CPU), tensor t (weights before biases, layer by layer) filled with
 * float32((mix32(mix32(seed * 65536 + t) + i) >>> 16) - 32767.5) * scale_t).
 *
 * The per-element work runs in JS with Math.imul (about 13M values, a fraction of a second):
 * the tensor layer has no bitwise ops to do it in libtorch. Tests and benchmarks only.
 */
export function hashVgg19Weights(seed = 1234): Map<string, Tensor> {
  const weights = new Map<string, Tensor>();
  let t = 0;
  for (const conv of VGG19_CONVS) {
    const tensors: [string, number[]][] = [
      ["weight", [conv.outChannels, conv.inChannels, 3, 3]],
      ["bias", [conv.outChannels]],
    ];
    for (const [kind, shape] of tensors) {
      const key = mix32(Math.imul(seed, 65536) + t);
      const scale = hashScale(kind as "weight" | "bias", conv.inChannels);
      const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
      // (u - 32767.5) is exact in float32 and the product is rounded once, by the Float32Array.
      for (let i = 0; i < values.length; i++) values[i] = ((mix32(key + i) >>> 16) - 32767.5) * scale;
      weights.set(`features.${conv.index}.${kind}`, torch.fromArray(values, shape));
      t++;
    }
  }
  return weights;
}
