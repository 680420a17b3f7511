// The FID feature extractor: pytorch-fid's InceptionV3 (mseitzer/pytorch-fid, inception.py) with
// its default output block 3, the 2048-d "pool3" features of TensorFlow's FID Inception:
//   x (B, 3, H, W) in [0, 1] -> bilinear resize to 299x299 (align_corners=False) -> 2x - 1
//   -> Conv2d_1a_3x3, Conv2d_2a_3x3, Conv2d_2b_3x3, max-pool 3/2
//   -> Conv2d_3b_1x1, Conv2d_4a_3x3, max-pool 3/2
//   -> Mixed_5b..5d (A), Mixed_6a (B), Mixed_6b..6e (C), Mixed_7a (D), Mixed_7b (E_1), Mixed_7c (E_2)
//   -> global average pool -> (B, 2048)
// Parameter names are those of pytorch-fid's FID weights (pt_inception-2015-12-05-6726825d.pth, a
// torchvision Inception3 state dict: `Conv2d_1a_3x3.conv.weight`, `Mixed_5b.branch1x1.bn.running_var`,
// ...); the file's `fc.*` (1008 classes) and any `num_batches_tracked` are not read.
import * as torch from "../../torch/index.js";
import type { Device, Tensor } from "../../torch/index.js";
import { Module, type Layer } from "../../nn/index.js";
import { BasicConv2d, InceptionA, InceptionB, InceptionC, InceptionD, InceptionE } from "./inception-blocks.js";
import { checkUnitRange } from "./images.js";
import { readWeightsFile } from "./weights-file.js";

/** The feature size. */
export const INCEPTION_FEATURES = 2048;
/** The side the input is resized to. */
export const INCEPTION_SIZE = 299;

/**
 * pytorch-fid's FID Inception-v3 up to the pool3 features. Parameters never require grad and the
 * module stays in eval mode (batch norm uses the file's running statistics). Build with
 * `InceptionV3Features.fromFile`; `new InceptionV3Features()` has meaningless random weights.
 */
export class InceptionV3Features extends Module {
  readonly #stem: BasicConv2d[] = [];
  readonly #mixed: Layer[] = [];

  constructor() {
    super();
    const stem: [string, BasicConv2d][] = [
      ["Conv2d_1a_3x3", new BasicConv2d(3, 32, 3, { stride: 2 })],
      ["Conv2d_2a_3x3", new BasicConv2d(32, 32, 3)],
      ["Conv2d_2b_3x3", new BasicConv2d(32, 64, 3, { padding: 1 })],
      ["Conv2d_3b_1x1", new BasicConv2d(64, 80, 1)],
      ["Conv2d_4a_3x3", new BasicConv2d(80, 192, 3)],
    ];
    for (const [name, conv] of stem) this.#stem.push(this.registerModule(name, conv));
    const mixed: [string, Layer][] = [
      ["Mixed_5b", new InceptionA(192, 32)],
      ["Mixed_5c", new InceptionA(256, 64)],
      ["Mixed_5d", new InceptionA(288, 64)],
      ["Mixed_6a", new InceptionB(288)],
      ["Mixed_6b", new InceptionC(768, 128)],
      ["Mixed_6c", new InceptionC(768, 160)],
      ["Mixed_6d", new InceptionC(768, 160)],
      ["Mixed_6e", new InceptionC(768, 192)],
      ["Mixed_7a", new InceptionD(768)],
      ["Mixed_7b", new InceptionE(1280, "avg")],
      ["Mixed_7c", new InceptionE(2048, "max")],
    ];
    for (const [name, block] of mixed) this.#mixed.push(this.registerModule(name, block));
    for (const p of this.parameters()) p.requiresGrad_(false);
    this.eval();
  }

  /**
   * An InceptionV3Features with the weights of a safetensors file holding pytorch-fid's FID
   * Inception state dict (docs/metrics.md); throws MetricWeightsError naming the file and the
   * first missing tensor.
   */
  static fromFile(path: string, device?: Device): InceptionV3Features {
    const model = new InceptionV3Features();
    try {
      torch.tidy(() => {
        const tensors = readWeightsFile(
          path,
          "FID Inception-v3",
          inceptionTensorShapes(model),
          "See docs/metrics.md for how to write the file from pytorch-fid's pt_inception-2015-12-05-6726825d.pth.",
        );
        model.loadStateDict(tensors, { strict: false });
      });
      if (device !== undefined) model.to(device);
    } catch (error) {
      model.dispose();
      throw error;
    }
    return model;
  }

  /**
   * images (B, 3, H, W) in [0, 1], any size (resized to 299x299 as pytorch-fid does) -> pool3
   * features (B, 2048), on the network's device and dtype.
   */
  forward(images: Tensor): Tensor {
    const first = this.#stem[0].conv.weight;
    if (images.ndim !== 4 || images.size(1) !== 3)
      throw new RangeError(`inception: needs images (B, 3, H, W), got [${images.shape.join(", ")}]`);
    if (images.device !== first.device || images.dtype !== first.dtype) {
      throw new TypeError(
        `inception: the images are ${images.dtype} on ${images.device}, the network is ${first.dtype} on ${first.device}: move one with .to()`,
      );
    }
    checkUnitRange("inception", images);
    return torch.tidy(() => {
      let x = torch.F.interpolate(images, { size: INCEPTION_SIZE, mode: "bilinear", alignCorners: false }).mul(2).sub(1); // (B, 3, 299, 299)
      const [c1a, c2a, c2b, c3b, c4a] = this.#stem;
      x = torch.F.maxPool2d(c2b.forward(c2a.forward(c1a.forward(x))), 3, { stride: 2 }); // (B, 64, 73, 73)
      x = torch.F.maxPool2d(c4a.forward(c3b.forward(x)), 3, { stride: 2 }); // (B, 192, 35, 35)
      for (const block of this.#mixed) x = block.forward(x); // (B, 2048, 8, 8)
      return torch.F.adaptiveAvgPool2d(x, 1).flatten(1); // (B, 2048)
    });
  }
}

/**
 * The tensors a weights file must hold, by name: every parameter and running statistic of the
 * model except `num_batches_tracked` (the FID weights predate that buffer).
 */
export function inceptionTensorShapes(model?: InceptionV3Features): Map<string, number[]> {
  const source = model ?? new InceptionV3Features();
  try {
    return torch.tidy(
      () =>
        new Map([...source.stateDict()].filter(([name]) => !name.endsWith("num_batches_tracked")).map(([name, t]) => [name, [...t.shape]])),
    );
  } finally {
    if (model === undefined) source.dispose();
  }
}
