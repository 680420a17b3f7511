// LPIPS v0.1 (Zhang, Isola, Efros, Shechtman, Wang 2018, "The Unreasonable Effectiveness of Deep
// Features as a Perceptual Metric"), as richzhang/PerceptualSimilarity's lpips.LPIPS(net=...,
// version="0.1") computes it with normalize=True:
//   x -> 2x - 1 -> (x - shift) / scale            ScalingLayer, shift [-.030, -.088, -.188], scale [.458, .448, .450]
//   f_l = backbone ReLU outputs (5 layers)        AlexNet or VGG-16 (lpips-backbones.ts)
//   n_l = f_l / (||f_l||_channels + 1e-10)        normalize_tensor
//   d   = sum_l mean_{h,w} lin_l((n_l(a) - n_l(b))^2)   lin_l: a 1x1 conv to one channel, no bias
// The backbone comes from torchvision's weights (`features.<i>.*`), the heads from LPIPS's v0.1
// weights (`lin<l>.model.1.weight`), each a safetensors file (docs/metrics.md).
import * as torch from "../../torch/index.js";
import type { Device, Tensor } from "../../torch/index.js";
import { Conv2d, Dropout, Module, Sequential } from "../../nn/index.js";
import { BackboneFeatures, LPIPS_BACKBONES, backboneTensorShapes, type BackboneSpec } from "./lpips-backbones.js";
import { checkImagePair, checkUnitRange } from "./images.js";
import { readWeightsFile } from "./weights-file.js";

export type LpipsNet = keyof typeof LPIPS_BACKBONES;

const SHIFT = [-0.03, -0.088, -0.188];
const SCALE = [0.458, 0.448, 0.45];
const EPS = 1e-10;

export interface LpipsFiles {
  /** torchvision's alexnet / vgg16 weights as safetensors (at least `features.*`). */
  backbone: string;
  /** LPIPS's v0.1 heads as safetensors, e.g. lpips_v0.1_alex.safetensors (`lin0.model.1.weight`, ...). */
  heads: string;
  /** Where the network goes (default cpu); the images must be there too. */
  device?: Device;
}

/** The head tensors' names and shapes: lin<l>.model.1.weight (1, C_l, 1, 1). */
export function lpipsHeadShapes(spec: BackboneSpec): Map<string, number[]> {
  return new Map(spec.channels.map((c, l) => [`lin${l}.model.1.weight`, [1, c, 1, 1]]));
}

/** LPIPS's NetLinLayer: `model` = Sequential(Dropout, 1x1 conv to one channel without bias). */
class NetLinLayer extends Module {
  readonly model: Sequential;
  constructor(channels: number) {
    super();
    this.model = this.registerModule("model", new Sequential(new Dropout(), new Conv2d(channels, 1, 1, { bias: false })));
  }
  /** (N, channels, h, w) -> (N, 1, h, w). */
  forward(x: Tensor): Tensor {
    return this.model.forward(x);
  }
}

/**
 * The LPIPS distance. Parameters never require grad; the module is in eval mode (the heads'
 * dropout is off). Build with `Lpips.fromFiles`; `new Lpips(net)` has meaningless random weights.
 */
export class Lpips extends Module {
  readonly spec: BackboneSpec;
  readonly features: BackboneFeatures;
  readonly heads: NetLinLayer[];

  constructor(readonly net: LpipsNet) {
    super();
    const spec = LPIPS_BACKBONES[net];
    if (spec === undefined) throw new RangeError(`Lpips: unknown net '${net}'; use ${Object.keys(LPIPS_BACKBONES).join(" or ")}`);
    this.spec = spec;
    // Not persistent: constants, so the state dict is exactly the two files' tensor names.
    this.registerBuffer(
      "shift",
      torch.tidy(() => torch.tensor(SHIFT).view(1, 3, 1, 1)),
      { persistent: false },
    );
    this.registerBuffer(
      "scale",
      torch.tidy(() => torch.tensor(SCALE).view(1, 3, 1, 1)),
      { persistent: false },
    );
    this.features = this.registerModule("features", new BackboneFeatures(spec));
    this.heads = spec.channels.map((c, l) => this.registerModule(`lin${l}`, new NetLinLayer(c)));
    for (const p of this.parameters()) p.requiresGrad_(false);
    this.eval();
  }

  /** An Lpips with the backbone and head weights of two safetensors files; throws MetricWeightsError. */
  static fromFiles(net: LpipsNet, files: LpipsFiles): Lpips {
    const model = new Lpips(net);
    try {
      const name = `LPIPS ${net}`;
      const fix = "See docs/metrics.md for how to write the file.";
      torch.tidy(() => {
        const backbone = readWeightsFile(
          files.backbone,
          `${name} backbone (torchvision ${model.spec.torchvision})`,
          backboneTensorShapes(model.spec),
          fix,
        );
        const heads = readWeightsFile(files.heads, `${name} v0.1 heads`, lpipsHeadShapes(model.spec), fix);
        model.loadStateDict(new Map([...backbone, ...heads]));
      });
      if (files.device !== undefined) model.to(files.device);
    } catch (error) {
      model.dispose();
      throw error;
    }
    return model;
  }

  /**
   * LPIPS of each pair: a, b (B, 3, H, W) in [0, 1] -> (B); 0 for identical images. The images
   * must be on the network's device and of its dtype, and at least spec.minSize px (31 for alex,
   * 16 for vgg).
   */
  forward(a: Tensor, b: Tensor): Tensor {
    checkImagePair("lpips", a, b, 3);
    const shift = this.buffer("shift");
    if (a.device !== shift.device || a.dtype !== shift.dtype) {
      throw new TypeError(
        `lpips: the images are ${a.dtype} on ${a.device}, the network is ${shift.dtype} on ${shift.device}: move one with .to()`,
      );
    }
    const [h, w] = [a.size(2), a.size(3)];
    if (Math.min(h, w) < this.spec.minSize) {
      throw new RangeError(
        `lpips: a ${h}x${w} image is too small for LPIPS ${this.net} (${this.spec.torchvision} needs at least ${this.spec.minSize} px)`,
      );
    }
    checkUnitRange("lpips", a, b);
    return torch.tidy(() => {
      const batch = a.size(0);
      const x = torch.cat([a, b], 0).mul(2).sub(1).sub(shift).div(this.buffer("scale")); // (2B, 3, H, W)
      const layers = this.features.forward(x);
      const perLayer = layers.map((f, l) => {
        const unit = f.div(f.square().sum(1, true).sqrt().add(EPS)); // (2B, C_l, h_l, w_l)
        const [fa, fb] = unit.split(batch, 0);
        return this.heads[l].forward(fa.sub(fb).square()).mean([1, 2, 3]); // (B, 1, h_l, w_l) -> (B)
      });
      return perLayer.reduce((sum, d) => sum.add(d));
    });
  }
}
