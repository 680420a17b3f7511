// VGG-19 feature extractor of the perceptual loss (FOMM's modules/model.py Vgg19; paper section
// 3.3): ImageNet normalisation, then torchvision's vgg19 `features` up to relu5_1, returning
// relu1_1, relu2_1, relu3_1, relu4_1 and relu5_1.
//
// The convs are registered as `features.<i>` with torchvision's indices, so a safetensors file of
// torchvision's `vgg19().state_dict()` loads without a renaming table (docs/losses.md).
import * as torch from "../../torch/index.js";
import type { Tensor } from "../../torch/index.js";
import { inspectSafetensors, readSafetensors } from "../../io/safetensors.js";
import { Conv2d, Module } from "../../nn/index.js";

export interface VggConv {
  /** torchvision's index in `vgg19().features`. */
  index: number;
  inChannels: number;
  outChannels: number;
}

/**
 * The 13 conv layers FOMM's Vgg19 uses (3x3, padding 1), grouped by block: a 2x2 max-pool comes
 * before every block but the first, and block b's first conv (after its ReLU) is relu{b}_1.
 */
export const VGG19_BLOCKS: readonly (readonly VggConv[])[] = [
  [
    { index: 0, inChannels: 3, outChannels: 64 },
    { index: 2, inChannels: 64, outChannels: 64 },
  ],
  [
    { index: 5, inChannels: 64, outChannels: 128 },
    { index: 7, inChannels: 128, outChannels: 128 },
  ],
  [10, 12, 14, 16].map((index) => ({ index, inChannels: index === 10 ? 128 : 256, outChannels: 256 })),
  [19, 21, 23, 25].map((index) => ({ index, inChannels: index === 19 ? 256 : 512, outChannels: 512 })),
  [{ index: 28, inChannels: 512, outChannels: 512 }],
];

/** Every conv in torchvision's order. */
export const VGG19_CONVS: readonly VggConv[] = VGG19_BLOCKS.flat();

/** The names of the five outputs, in order. */
export const VGG19_LAYER_NAMES = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"] as const;

/** torchvision's tensor names and shapes that a weights file must hold (26 tensors). */
export function vgg19TensorShapes(): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  for (const c of VGG19_CONVS) {
    shapes.set(`features.${c.index}.weight`, [c.outChannels, c.inChannels, 3, 3]);
    shapes.set(`features.${c.index}.bias`, [c.outChannels]);
  }
  return shapes;
}

/** Smallest input side for which the first `depth` outputs exist (relu5_1 needs 16 px). */
export function vgg19MinSize(depth = VGG19_BLOCKS.length): number {
  return 2 ** (depth - 1);
}

const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];

/** torchvision's `features` container, holding only the convs (ReLU and max-pool have no state). */
class Vgg19Features extends Module {
  readonly convs = new Map<number, Conv2d>();
  constructor() {
    super();
    for (const c of VGG19_CONVS)
      this.convs.set(c.index, this.registerModule(String(c.index), new Conv2d(c.inChannels, c.outChannels, 3, { padding: 1 })));
  }
}

/**
 * FOMM's Vgg19. Its parameters never require grad: the loss differentiates through it with
 * respect to the image only. Build it, then load weights (`Vgg19.fromFile`, or `loadWeights`);
 * the constructor's weights are PyTorch's default conv initialisation, meaningful to nobody.
 */
export class Vgg19 extends Module {
  readonly features = this.registerModule("features", new Vgg19Features());

  constructor() {
    super();
    // Not persistent: they are constants, and the state dict stays exactly torchvision's 26 tensors.
    this.registerBuffer(
      "mean",
      torch.tidy(() => torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)),
      { persistent: false },
    );
    this.registerBuffer(
      "std",
      torch.tidy(() => torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)),
      { persistent: false },
    );
    for (const p of this.parameters()) p.requiresGrad_(false);
  }

  /** A Vgg19 with the weights of a safetensors file (torchvision's names; docs/losses.md). */
  static fromFile(path: string): Vgg19 {
    const model = new Vgg19();
    try {
      model.loadWeightsFile(path);
    } catch (error) {
      model.dispose();
      throw error;
    }
    return model;
  }

  /**
   * Loads `features.<i>.{weight,bias}` from a safetensors file; other tensors in it (torchvision's
   * classifier, say) are not read. Throws one error naming the file and every missing or
   * mis-shaped tensor before anything is copied.
   */
  loadWeightsFile(path: string): void {
    let available: Map<string, number[]>;
    try {
      available = new Map(inspectSafetensors(path).tensors.map((t) => [t.name, t.shape]));
    } catch (error) {
      throw new Error(`VGG-19 weights: ${(error as Error).message}\n  ${HOW_TO_FIX}`);
    }
    checkVgg19Tensors(path, available);
    torch.tidy(() => {
      const { tensors } = readSafetensors(path, { names: vgg19TensorShapes().keys() });
      this.loadStateDict(tensors);
    });
  }

  /** Loads the 26 tensors from a map (extra entries ignored), with the same checks as loadWeightsFile. */
  loadWeights(tensors: ReadonlyMap<string, Tensor>, source = "the given tensors"): void {
    checkVgg19Tensors(source, new Map([...tensors].map(([name, t]) => [name, [...t.shape]])));
    const wanted = vgg19TensorShapes();
    this.loadStateDict(new Map([...tensors].filter(([name]) => wanted.has(name))));
  }

  /**
   * x (B, 3, H, W) in [0, 1] -> the first `depth` of [relu1_1 (B, 64, H, W), relu2_1 (B, 128, H/2,
   * W/2), relu3_1 (B, 256, H/4, W/4), relu4_1 (B, 512, H/8, W/8), relu5_1 (B, 512, H/16, W/16)]
   * (sizes floored by each max-pool). H and W must be at least vgg19MinSize(depth).
   */
  forward(x: Tensor, depth = VGG19_BLOCKS.length): Tensor[] {
    const minSize = vgg19MinSize(depth);
    if (x.size(-2) < minSize || x.size(-1) < minSize) {
      throw new RangeError(
        `Vgg19: a ${x.size(-2)}x${x.size(-1)} image is too small: ${VGG19_LAYER_NAMES[depth - 1]} needs at least ${minSize}x${minSize} (4 max-pools halve it)`,
      );
    }
    return torch.tidy(() => {
      const outputs: Tensor[] = [];
      let h = x.sub(this.buffer("mean")).div(this.buffer("std")); // (B, 3, H, W)
      VGG19_BLOCKS.slice(0, depth).forEach((block, b) => {
        if (b > 0) h = torch.F.maxPool2d(h, 2); // (B, C, H/2, W/2)
        block.forEach((conv, i) => {
          h = this.features.convs.get(conv.index)!.forward(h).relu();
          if (i === 0) outputs.push(h);
        });
      });
      return outputs;
    });
  }
}

const HOW_TO_FIX =
  "To fix: give a safetensors file with torchvision's vgg19 `features.*` tensors (docs/losses.md shows how to write one), or set `perceptual: pixel` in train_params.";

/** Throws one error listing every missing or mis-shaped VGG-19 tensor of `source`. */
function checkVgg19Tensors(source: string, available: ReadonlyMap<string, readonly number[]>): void {
  const missing: string[] = [];
  const misShaped: string[] = [];
  for (const [name, shape] of vgg19TensorShapes()) {
    const got = available.get(name);
    if (got === undefined) missing.push(`    ${name} [${shape.join(", ")}]`);
    else if (got.join() !== shape.join()) misShaped.push(`    ${name}: expected [${shape.join(", ")}], the file has [${got.join(", ")}]`);
  }
  if (missing.length === 0 && misShaped.length === 0) return;
  const parts = [`VGG-19 weights ${source} do not fit FOMM's Vgg19 (torchvision's vgg19 features.0 to features.28); nothing was loaded.`];
  if (missing.length > 0) parts.push(`  missing tensors (name, expected shape):\n${missing.join("\n")}`);
  if (misShaped.length > 0) parts.push(`  mis-shaped tensors:\n${misShaped.join("\n")}`);
  const others = [...available.keys()].filter((name) => !vgg19TensorShapes().has(name));
  if (others.length > 0) parts.push(`  the file's other tensors (${others.length}) include: ${others.slice(0, 5).join(", ")}`);
  if (others.some((name) => /^slice\d\.\d+\./.test(name)))
    parts.push("  names like 'slice1.0.weight' are FOMM's Vgg19 state dict: rename each slice{n}.{i} to features.{i} (same i).");
  const prefixed = others.find((name) => name.endsWith("features.0.weight"));
  if (prefixed !== undefined)
    parts.push(
      `  '${prefixed}' looks like features.0.weight with a prefix: write the tensors without '${prefixed.slice(0, -"features.0.weight".length)}'.`,
    );
  parts.push(`  ${HOW_TO_FIX}`);
  throw new Error(parts.join("\n"));
}
