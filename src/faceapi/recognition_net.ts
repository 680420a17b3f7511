// face-api.js's FaceRecognitionNet: dlib's ResNet-34-like face descriptor (dlib_face_recognition_
// resnet_model_v1) ported to TF.js. 150x150 input, a strided 7x7 conv and max pool, residual
// stages of 32, 64, 128 and 256 channels (convs followed by per-channel scale layers, which are
// dlib's folded batch norms), global average, and a bias-free dense layer to a 128-D descriptor.
// Descriptors of the same person are within about 0.6 (Euclidean) of each other.
import * as torch from "../torch/index.js";
import type { Tensor } from "../torch/index.js";
import { Linear, Module } from "../nn/index.js";
import { TfConv2d, type TfPadding } from "./layers.js";
import { normalizeRgb, toSquareInput } from "./preprocess.js";

export const RECOGNITION_INPUT_SIZE = 150;
const MEAN_RGB = [122.782, 117.001, 104.298] as const;

/** Per-channel affine map x * weight + bias. Keys `weight`, `bias` (C). */
class Scale extends Module {
  constructor(channels: number) {
    super();
    this.registerParameter("weight", torch.ones([channels]));
    this.registerParameter("bias", torch.zeros([channels]));
  }

  forward(x: Tensor): Tensor {
    return torch.tidy(() => x.mul(this.parameter("weight").view(1, -1, 1, 1)).add(this.parameter("bias").view(1, -1, 1, 1)));
  }
}

/** conv (with bias) then scale: (N, in, H, W) -> (N, out, H', W'). Keys `conv.*`, `scale.*`. */
class ConvScale extends Module {
  readonly conv: TfConv2d;
  readonly scale: Scale;

  constructor(inChannels: number, outChannels: number, kernel: number, stride: number, padding: TfPadding) {
    super();
    this.conv = this.registerModule("conv", new TfConv2d(inChannels, outChannels, kernel, { stride, padding }));
    this.scale = this.registerModule("scale", new Scale(outChannels));
  }

  forward(x: Tensor, relu: boolean): Tensor {
    return torch.tidy(() => {
      const out = this.scale.forward(this.conv.forward(x));
      return relu ? out.relu() : out;
    });
  }
}

/**
 * A residual unit: relu(conv2(conv1(x)) + shortcut(x)). Downsampling units start with a stride-2
 * 'valid' conv; their shortcut is a 2x2 average pool, with zero channels appended when the width
 * doubles and the residual zero-padded bottom/right when the valid conv came out a pixel smaller.
 */
class Residual extends Module {
  readonly conv1: ConvScale;
  readonly conv2: ConvScale;

  constructor(
    inChannels: number,
    outChannels: number,
    readonly down: boolean,
  ) {
    super();
    this.conv1 = this.registerModule("conv1", new ConvScale(inChannels, outChannels, 3, down ? 2 : 1, down ? "valid" : "same"));
    this.conv2 = this.registerModule("conv2", new ConvScale(outChannels, outChannels, 3, 1, "same"));
  }

  forward(x: Tensor): Tensor {
    return torch.tidy(() => {
      let out = this.conv2.forward(this.conv1.forward(x, true), false);
      if (!this.down) return out.add(x).relu();
      let shortcut = torch.F.avgPool2d(x, 2, { stride: 2 });
      const extraChannels = out.size(1) - shortcut.size(1);
      if (extraChannels > 0) shortcut = torch.F.pad(shortcut, [0, 0, 0, 0, 0, extraChannels]);
      const [dh, dw] = [shortcut.size(2) - out.size(2), shortcut.size(3) - out.size(3)];
      if (dh > 0 || dw > 0) out = torch.F.pad(out, [0, dw, 0, dh]);
      return out.add(shortcut).relu();
    });
  }
}

/** Stage layout: [name, in, out, downsampling], in face-api's order and names. */
const UNITS: readonly [string, number, number, boolean][] = [
  ["conv32_1", 32, 32, false],
  ["conv32_2", 32, 32, false],
  ["conv32_3", 32, 32, false],
  ["conv64_down", 32, 64, true],
  ["conv64_1", 64, 64, false],
  ["conv64_2", 64, 64, false],
  ["conv64_3", 64, 64, false],
  ["conv128_down", 64, 128, true],
  ["conv128_1", 128, 128, false],
  ["conv128_2", 128, 128, false],
  ["conv256_down", 128, 256, true],
  ["conv256_1", 256, 256, false],
  ["conv256_2", 256, 256, false],
  ["conv256_down_out", 256, 256, true],
];

export class FaceRecognitionNet extends Module {
  readonly stem: ConvScale;
  readonly units: Residual[];
  readonly fc: Linear;

  constructor() {
    super();
    this.stem = this.registerModule("conv32_down", new ConvScale(3, 32, 7, 2, "valid"));
    this.units = UNITS.map(([name, inC, outC, down]) => this.registerModule(name, new Residual(inC, outC, down)));
    this.fc = this.registerModule("fc", new Linear(256, 128, { bias: false }));
  }

  /** The net proper: x (B, 3, 150, 150) normalised -> (B, 128). */
  forward(x: Tensor): Tensor {
    return torch.tidy(() => {
      let h = this.stem.forward(x, true); // (B, 32, 72, 72)
      h = torch.F.maxPool2d(h, 3, { stride: 2 }); // (B, 32, 35, 35)
      for (const unit of this.units) h = unit.forward(h); // (B, 256, 2, 2)
      return this.fc.forward(h.mean([2, 3]));
    });
  }

  /** images (B, 3, H, W) RGB in [0, 1], ideally aligned face crops -> descriptors (B, 128). */
  descriptors(images: Tensor): Tensor {
    return torch.tidy(() => {
      const { input } = toSquareInput(images, RECOGNITION_INPUT_SIZE, true);
      return this.forward(normalizeRgb(input, MEAN_RGB, 256));
    });
  }
}
