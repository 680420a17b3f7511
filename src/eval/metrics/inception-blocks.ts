// The blocks of the FID Inception-v3 (torchvision's models/inception.py, as patched by
// mseitzer/pytorch-fid's inception.py), with torchvision's attribute names so that the FID weights'
// state dict (`Mixed_5b.branch1x1.conv.weight`, ...) maps onto them without a table. pytorch-fid's
// patches, which make its network TensorFlow's FID Inception rather than torchvision's:
//   - FIDInceptionA, FIDInceptionC, FIDInceptionE_1: the pool branch's 3x3 average pool (stride 1,
//     padding 1) does not count the padded zeros (count_include_pad=False, as TensorFlow);
//   - FIDInceptionE_2 (Mixed_7c): the pool branch is a 3x3 *max* pool (stride 1, padding 1).
// Each block's output concatenates its branches along channels in torchvision's order.
import * as torch from "../../torch/index.js";
import type { Tensor } from "../../torch/index.js";
import { BatchNorm2d, Conv2d, Module } from "../../nn/index.js";

type Pair = number | [number, number];

/** torchvision's BasicConv2d: conv (no bias), batch norm (eps 0.001), ReLU. */
export class BasicConv2d extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;

  constructor(inChannels: number, outChannels: number, kernel: Pair, options: { stride?: number; padding?: Pair } = {}) {
    super();
    this.conv = this.registerModule("conv", new Conv2d(inChannels, outChannels, kernel, { ...options, bias: false }));
    this.bn = this.registerModule("bn", new BatchNorm2d(outChannels, { eps: 0.001 }));
  }

  forward(x: Tensor): Tensor {
    return this.bn.forward(this.conv.forward(x)).relu();
  }
}

/** The pool branch's pooling: TensorFlow's average pool (padding not counted), or E_2's max pool. */
type PoolKind = "avg" | "max";

function pool3x3(x: Tensor, kind: PoolKind): Tensor {
  return kind === "avg"
    ? torch.F.avgPool2d(x, 3, { stride: 1, padding: 1, countIncludePad: false })
    : torch.F.maxPool2d(x, 3, { stride: 1, padding: 1 });
}

/** A block: named BasicConv2d children registered in torchvision's order. */
abstract class InceptionBlock extends Module {
  readonly #convs = new Map<string, BasicConv2d>();

  protected add(name: string, conv: BasicConv2d): void {
    this.#convs.set(name, this.registerModule(name, conv));
  }

  /** Runs the named convs one after the other. */
  protected chain(x: Tensor, ...names: string[]): Tensor {
    return names.reduce((h, name) => this.#convs.get(name)!.forward(h), x);
  }

  abstract forward(x: Tensor): Tensor;
}

/** FIDInceptionA (Mixed_5b/5c/5d): 35x35, in -> 224 + poolFeatures channels. */
export class InceptionA extends InceptionBlock {
  constructor(inChannels: number, poolFeatures: number) {
    super();
    this.add("branch1x1", new BasicConv2d(inChannels, 64, 1));
    this.add("branch5x5_1", new BasicConv2d(inChannels, 48, 1));
    this.add("branch5x5_2", new BasicConv2d(48, 64, 5, { padding: 2 }));
    this.add("branch3x3dbl_1", new BasicConv2d(inChannels, 64, 1));
    this.add("branch3x3dbl_2", new BasicConv2d(64, 96, 3, { padding: 1 }));
    this.add("branch3x3dbl_3", new BasicConv2d(96, 96, 3, { padding: 1 }));
    this.add("branch_pool", new BasicConv2d(inChannels, poolFeatures, 1));
  }

  forward(x: Tensor): Tensor {
    return torch.cat(
      [
        this.chain(x, "branch1x1"),
        this.chain(x, "branch5x5_1", "branch5x5_2"),
        this.chain(x, "branch3x3dbl_1", "branch3x3dbl_2", "branch3x3dbl_3"),
        this.chain(pool3x3(x, "avg"), "branch_pool"),
      ],
      1,
    );
  }
}

/** InceptionB (Mixed_6a): 35x35 -> 17x17, 288 -> 768 channels (unpatched). */
export class InceptionB extends InceptionBlock {
  constructor(inChannels: number) {
    super();
    this.add("branch3x3", new BasicConv2d(inChannels, 384, 3, { stride: 2 }));
    this.add("branch3x3dbl_1", new BasicConv2d(inChannels, 64, 1));
    this.add("branch3x3dbl_2", new BasicConv2d(64, 96, 3, { padding: 1 }));
    this.add("branch3x3dbl_3", new BasicConv2d(96, 96, 3, { stride: 2 }));
  }

  forward(x: Tensor): Tensor {
    return torch.cat(
      [
        this.chain(x, "branch3x3"),
        this.chain(x, "branch3x3dbl_1", "branch3x3dbl_2", "branch3x3dbl_3"),
        torch.F.maxPool2d(x, 3, { stride: 2 }),
      ],
      1,
    );
  }
}

/** FIDInceptionC (Mixed_6b..6e): 17x17, 768 -> 768 channels, factorised 7x7 convs. */
export class InceptionC extends InceptionBlock {
  constructor(inChannels: number, channels7x7: number) {
    super();
    const c7 = channels7x7;
    this.add("branch1x1", new BasicConv2d(inChannels, 192, 1));
    this.add("branch7x7_1", new BasicConv2d(inChannels, c7, 1));
    this.add("branch7x7_2", new BasicConv2d(c7, c7, [1, 7], { padding: [0, 3] }));
    this.add("branch7x7_3", new BasicConv2d(c7, 192, [7, 1], { padding: [3, 0] }));
    this.add("branch7x7dbl_1", new BasicConv2d(inChannels, c7, 1));
    this.add("branch7x7dbl_2", new BasicConv2d(c7, c7, [7, 1], { padding: [3, 0] }));
    this.add("branch7x7dbl_3", new BasicConv2d(c7, c7, [1, 7], { padding: [0, 3] }));
    this.add("branch7x7dbl_4", new BasicConv2d(c7, c7, [7, 1], { padding: [3, 0] }));
    this.add("branch7x7dbl_5", new BasicConv2d(c7, 192, [1, 7], { padding: [0, 3] }));
    this.add("branch_pool", new BasicConv2d(inChannels, 192, 1));
  }

  forward(x: Tensor): Tensor {
    return torch.cat(
      [
        this.chain(x, "branch1x1"),
        this.chain(x, "branch7x7_1", "branch7x7_2", "branch7x7_3"),
        this.chain(x, "branch7x7dbl_1", "branch7x7dbl_2", "branch7x7dbl_3", "branch7x7dbl_4", "branch7x7dbl_5"),
        this.chain(pool3x3(x, "avg"), "branch_pool"),
      ],
      1,
    );
  }
}

/** InceptionD (Mixed_7a): 17x17 -> 8x8, 768 -> 1280 channels (unpatched). */
export class InceptionD extends InceptionBlock {
  constructor(inChannels: number) {
    super();
    this.add("branch3x3_1", new BasicConv2d(inChannels, 192, 1));
    this.add("branch3x3_2", new BasicConv2d(192, 320, 3, { stride: 2 }));
    this.add("branch7x7x3_1", new BasicConv2d(inChannels, 192, 1));
    this.add("branch7x7x3_2", new BasicConv2d(192, 192, [1, 7], { padding: [0, 3] }));
    this.add("branch7x7x3_3", new BasicConv2d(192, 192, [7, 1], { padding: [3, 0] }));
    this.add("branch7x7x3_4", new BasicConv2d(192, 192, 3, { stride: 2 }));
  }

  forward(x: Tensor): Tensor {
    return torch.cat(
      [
        this.chain(x, "branch3x3_1", "branch3x3_2"),
        this.chain(x, "branch7x7x3_1", "branch7x7x3_2", "branch7x7x3_3", "branch7x7x3_4"),
        torch.F.maxPool2d(x, 3, { stride: 2 }),
      ],
      1,
    );
  }
}

/**
 * FIDInceptionE_1 (Mixed_7b, average pool without the padding) or FIDInceptionE_2 (Mixed_7c, max
 * pool): 8x8, in -> 2048 channels.
 */
export class InceptionE extends InceptionBlock {
  constructor(
    inChannels: number,
    readonly pool: PoolKind,
  ) {
    super();
    this.add("branch1x1", new BasicConv2d(inChannels, 320, 1));
    this.add("branch3x3_1", new BasicConv2d(inChannels, 384, 1));
    this.add("branch3x3_2a", new BasicConv2d(384, 384, [1, 3], { padding: [0, 1] }));
    this.add("branch3x3_2b", new BasicConv2d(384, 384, [3, 1], { padding: [1, 0] }));
    this.add("branch3x3dbl_1", new BasicConv2d(inChannels, 448, 1));
    this.add("branch3x3dbl_2", new BasicConv2d(448, 384, 3, { padding: 1 }));
    this.add("branch3x3dbl_3a", new BasicConv2d(384, 384, [1, 3], { padding: [0, 1] }));
    this.add("branch3x3dbl_3b", new BasicConv2d(384, 384, [3, 1], { padding: [1, 0] }));
    this.add("branch_pool", new BasicConv2d(inChannels, 192, 1));
  }

  forward(x: Tensor): Tensor {
    const b3 = this.chain(x, "branch3x3_1");
    const d3 = this.chain(x, "branch3x3dbl_1", "branch3x3dbl_2");
    return torch.cat(
      [
        this.chain(x, "branch1x1"),
        torch.cat([this.chain(b3, "branch3x3_2a"), this.chain(b3, "branch3x3_2b")], 1),
        torch.cat([this.chain(d3, "branch3x3dbl_3a"), this.chain(d3, "branch3x3dbl_3b")], 1),
        this.chain(pool3x3(x, this.pool), "branch_pool"),
      ],
      1,
    );
  }
}
