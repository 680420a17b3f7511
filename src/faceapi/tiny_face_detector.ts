// face-api.js's TinyFaceDetector: a Tiny-YOLOv2-style face detector with depthwise-separable convs
// (MobileNet-like). A 3x3 'valid' conv, five separable convs with max pools between them (five
// halvings: 416 px -> a 13x13 grid), and a 1x1 conv predicting 5 boxes per cell.
import * as torch from "../torch/index.js";
import type { Tensor } from "../torch/index.js";
import { Module } from "../nn/index.js";
import { decodeGrid, nonMaxSuppression, type FaceDetection } from "./detections.js";
import { maxPoolSame, SeparableConv2d, TfConv2d } from "./layers.js";
import { normalizeRgb, toSquareInput } from "./preprocess.js";

/** Anchor (width, height) in grid cells, face-api's BOX_ANCHORS. */
export const BOX_ANCHORS: readonly (readonly [number, number])[] = [
  [1.603231, 2.094468],
  [6.041143, 7.080126],
  [2.882459, 3.518061],
  [4.266906, 5.178857],
  [9.041765, 10.66308],
];
const MEAN_RGB = [117.001, 114.697, 97.404] as const;
const IOU_THRESHOLD = 0.4;
const CHANNELS = [16, 32, 64, 128, 256, 512];

export interface DetectOptions {
  /** Side of the square the image is resized to; a multiple of 32 (default 416, face-api's). */
  inputSize?: number;
  /** Minimum score, in (0, 1) (default 0.5, face-api's). */
  scoreThreshold?: number;
}

export class TinyFaceDetector extends Module {
  readonly conv0: TfConv2d;
  readonly separable: SeparableConv2d[] = [];
  readonly conv8: TfConv2d;

  constructor() {
    super();
    this.conv0 = this.registerModule("conv0", new TfConv2d(3, CHANNELS[0], 3, { padding: "valid" }));
    for (let i = 1; i < CHANNELS.length; i++) {
      this.separable.push(this.registerModule(`conv${i}`, new SeparableConv2d(CHANNELS[i - 1], CHANNELS[i])));
    }
    this.conv8 = this.registerModule("conv8", new TfConv2d(CHANNELS.at(-1)!, BOX_ANCHORS.length * 5, 1));
  }

  /** The net proper: x (B, 3, S, S) normalised -> (B, 25, S/32, S/32) raw box encodings. */
  forward(x: Tensor): Tensor {
    return torch.tidy(() => {
      let h = this.conv0.forward(x).leakyRelu(0.1);
      h = maxPoolSame(h, 2, 2);
      this.separable.forEach((conv, i) => {
        h = conv.forward(h).leakyRelu(0.1);
        h = maxPoolSame(h, 2, i < this.separable.length - 1 ? 2 : 1);
      });
      return this.conv8.forward(h);
    });
  }

  /**
   * images (B, 3, H, W) RGB in [0, 1] -> for each image, its faces (boxes in its pixels, best
   * score first) after non-maximum suppression at IoU 0.4.
   */
  detect(images: Tensor, options: DetectOptions = {}): FaceDetection[][] {
    const inputSize = options.inputSize ?? 416;
    const scoreThreshold = options.scoreThreshold ?? 0.5;
    if (!Number.isInteger(inputSize) || inputSize <= 0 || inputSize % 32 !== 0)
      throw new RangeError(`detect: inputSize must be a positive multiple of 32, got ${inputSize}`);
    if (!(scoreThreshold > 0 && scoreThreshold < 1))
      throw new RangeError(`detect: scoreThreshold must be in (0, 1), got ${scoreThreshold}`);
    const grids = torch.tidy(() => {
      // The detector pads bottom/right, not centred (toBatchTensor(inputSize, false)).
      const { input } = toSquareInput(images, inputSize, false);
      return this.forward(normalizeRgb(input, MEAN_RGB, 256)).cpu();
    });
    const [batch, , cells] = grids.shape;
    const values = grids.data<"float32">();
    grids.dispose();
    const perImage = values.length / batch;
    const decode = { anchors: BOX_ANCHORS, scoreThreshold, inputSize, width: images.size(3), height: images.size(2) };
    return Array.from({ length: batch }, (_, b) =>
      nonMaxSuppression(decodeGrid(values.subarray(b * perImage, (b + 1) * perImage), cells, decode), IOU_THRESHOLD),
    );
  }
}
