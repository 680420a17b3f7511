// The LPIPS backbones (richzhang/PerceptualSimilarity, lpips/pretrained_networks.py): torchvision's
// AlexNet and VGG-16 `features`, run up to the last ReLU LPIPS taps. The convs are registered as
// `features.<i>` with torchvision's indices, so torchvision's own state dict (or just its
// `features.*` tensors) loads without renaming (docs/metrics.md).
import * as torch from "../../torch/index.js";
import type { Tensor } from "../../torch/index.js";
import { Conv2d, Module } from "../../nn/index.js";

/** One layer of torchvision's `features`, at its index; ReLUs sit at every index not listed. */
type FeatureLayer =
  | { index: number; conv: { inChannels: number; outChannels: number; kernel: number; stride: number; padding: number } }
  | { index: number; maxPool: { kernel: number; stride: number } };

export interface BackboneSpec {
  /** LPIPS's name for it: the `net` argument and the heads file's suffix. */
  net: "alex" | "vgg";
  /** torchvision's model function. */
  torchvision: "alexnet" | "vgg16";
  /** Every conv and max-pool up to the last tap, by torchvision index; the other indices are ReLUs. */
  layers: readonly FeatureLayer[];
  /** torchvision indices of the ReLUs whose outputs LPIPS compares (its relu1 ... relu5). */
  taps: readonly number[];
  /** Channels of each tapped output (LPIPS's `chns`). */
  channels: readonly number[];
  /** Smallest input side for which every tap exists. */
  minSize: number;
}

const conv = (index: number, inChannels: number, outChannels: number, kernel: number, stride = 1, padding = 1): FeatureLayer => ({
  index,
  conv: { inChannels, outChannels, kernel, stride, padding },
});
const maxPool = (index: number, kernel: number, stride: number): FeatureLayer => ({ index, maxPool: { kernel, stride } });

/** torchvision's alexnet().features[0:12]; slices [0:2], [2:5], [5:8], [8:10], [10:12] in LPIPS. */
export const ALEXNET: BackboneSpec = {
  net: "alex",
  torchvision: "alexnet",
  layers: [
    conv(0, 3, 64, 11, 4, 2),
    maxPool(2, 3, 2),
    conv(3, 64, 192, 5, 1, 2),
    maxPool(5, 3, 2),
    conv(6, 192, 384, 3),
    conv(8, 384, 256, 3),
    conv(10, 256, 256, 3),
  ],
  taps: [1, 4, 7, 9, 11],
  channels: [64, 192, 384, 256, 256],
  // conv1 (11x11, stride 4, padding 2) then two 3x3 stride-2 max-pools: 31 px -> 7 -> 3 -> 1.
  minSize: 31,
};

/** torchvision's vgg16().features[0:30]: relu1_2, relu2_2, relu3_3, relu4_3, relu5_3. */
export const VGG16: BackboneSpec = (() => {
  const plan = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512] as const;
  const layers: FeatureLayer[] = [];
  let [index, inChannels] = [0, 3];
  for (const item of plan) {
    if (item === "M") {
      layers.push(maxPool(index, 2, 2));
      index += 1;
    } else {
      layers.push(conv(index, inChannels, item, 3));
      inChannels = item;
      index += 2; // the conv and its ReLU
    }
  }
  return { net: "vgg", torchvision: "vgg16", layers, taps: [3, 8, 15, 22, 29], channels: [64, 128, 256, 512, 512], minSize: 16 };
})();

export const LPIPS_BACKBONES = { alex: ALEXNET, vgg: VGG16 } as const;

/** torchvision's tensor names and shapes of a backbone's convs (`features.0.weight`, ...). */
export function backboneTensorShapes(spec: BackboneSpec): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  for (const layer of spec.layers) {
    if (!("conv" in layer)) continue;
    const { inChannels, outChannels, kernel } = layer.conv;
    shapes.set(`features.${layer.index}.weight`, [outChannels, inChannels, kernel, kernel]);
    shapes.set(`features.${layer.index}.bias`, [outChannels]);
  }
  return shapes;
}

/** torchvision's `features` container, holding only the convs (ReLU and max-pool have no state). */
export class BackboneFeatures extends Module {
  readonly #convs = new Map<number, Conv2d>();

  constructor(readonly spec: BackboneSpec) {
    super();
    for (const layer of spec.layers) {
      if (!("conv" in layer)) continue;
      const { inChannels, outChannels, kernel, stride, padding } = layer.conv;
      this.#convs.set(
        layer.index,
        this.registerModule(String(layer.index), new Conv2d(inChannels, outChannels, kernel, { stride, padding })),
      );
    }
  }

  /** x (N, 3, H, W), already scaled as LPIPS does -> the tapped ReLU outputs, (N, channels[k], h_k, w_k). */
  forward(x: Tensor): Tensor[] {
    const outputs: Tensor[] = [];
    const last = this.spec.taps[this.spec.taps.length - 1];
    const byIndex = new Map(this.spec.layers.map((layer) => [layer.index, layer]));
    let h = x;
    for (let index = 0; index <= last; index++) {
      const layer = byIndex.get(index);
      if (layer === undefined) h = h.relu();
      else if ("conv" in layer) h = this.#convs.get(index)!.forward(h);
      else h = torch.F.maxPool2d(h, layer.maxPool.kernel, { stride: layer.maxPool.stride });
      if (this.spec.taps.includes(index)) outputs.push(h);
    }
    return outputs;
  }
}
