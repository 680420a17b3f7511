// The reconstruction losses (src/dime/losses): the hash VGG-19 weights and Vgg19 against the golden
// fixtures, the perceptual pyramid against FOMM's training step, weight-file errors, SSIM against
// closed forms and a numpy transcription of scikit-image, and the pixel loss.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";

import * as torch from "../src/torch/index.js";
import type { Tensor } from "../src/torch/index.js";
import { writeSafetensors } from "../src/io/safetensors.js";
import { DEFAULT_CONFIG, type TrainParams } from "../src/dime/config/schema.js";
import {
  ImagePyramid,
  PerceptualPyramidLoss,
  PixelPyramidLoss,
  VGG19_CONVS,
  Vgg19,
  describeReconstructionLoss,
  hashScale,
  hashVgg19Weights,
  reconstructionLoss,
  ssim,
  ssimMap,
  vgg19TensorShapes,
} from "../src/dime/losses/index.js";
import { NO_GOLDEN, assertTensorClose, loadGolden, relativeL2 } from "./helpers/golden.js";
import { gradcheck, input } from "./helpers/gradcheck.js";
import { TOL } from "./helpers/tolerance.js";

/** Relative tolerances of this file, in float32 against the float64 reference. */
const REL = {
  /** Sums of the hash weights: float64 sums of the same float32 values in another order. */
  hashSum: 1e-9,
  /** Vgg19 outputs (README: float32 agrees to ~5e-7 relative L2; per element vs the layer's max). */
  vggForward: 1e-5,
  /** Perceptual terms: README's 2e-6 for float32, with room for the float32-rounded prediction. */
  perceptualTerm: 2e-5,
};

const live = () => torch.memory().numTensors;
const scratch = mkdtempSync(join(tmpdir(), "dime-losses-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Hash weights and a Vgg19 holding them, made once (kept for the whole file). */
let shared: { weights: Map<string, Tensor>; vgg: Vgg19 } | undefined;
function hashVgg(): { weights: Map<string, Tensor>; vgg: Vgg19 } {
  if (shared === undefined) {
    const weights = torch.keep(hashVgg19Weights());
    const vgg = new Vgg19();
    vgg.loadWeights(weights, "hash weights");
    shared = { weights, vgg };
  }
  return shared;
}

describe("VGG-19 hash weights", { skip: NO_GOLDEN }, () => {
  test("all 26 tensors: first 16 values and scales exact, sums to 1e-9", () => {
    const check = loadGolden("vgg19-random-check.safetensors");
    const { weights } = hashVgg();
    assert.deepEqual([...weights.keys()], [...vgg19TensorShapes().keys()]);
    for (const conv of VGG19_CONVS) {
      for (const kind of ["weight", "bias"] as const) {
        const name = `features.${conv.index}.${kind}`;
        const w = weights.get(name)!;
        assert.deepEqual([...w.shape], vgg19TensorShapes().get(name), name);
        torch.tidy(() => {
          assert.deepEqual(w.flatten().slice(0, 0, 16).toArray(), check.get(`${name}.first16`)!.toArray(), `${name} first16`);
          assert.equal(hashScale(kind, conv.inChannels), check.get(`${name}.scale`)!.item(), `${name} scale`);
          for (const [stat, value] of [
            ["sum_f64", w.double().sum()],
            ["abs_sum_f64", w.double().abs().sum()],
          ] as const) {
            const expected = check.get(`${name}.${stat}`)!.item();
            assert.ok(
              Math.abs(value.item() - expected) <= REL.hashSum * Math.abs(expected),
              `${name} ${stat}: ${value.item()} vs ${expected}`,
            );
          }
        });
      }
    }
  });
});

describe("Vgg19", () => {
  test("state dict is exactly torchvision's 26 features tensors; no parameter requires grad", () => {
    const vgg = new Vgg19();
    const sd = vgg.stateDict();
    assert.deepEqual(
      [...sd].map(([k, v]) => [k, [...v.shape]]),
      [...vgg19TensorShapes()],
    );
    assert.ok(vgg.parameters().every((p) => !p.requiresGrad));
    torch.dispose(sd);
    vgg.dispose();
  });

  test("forward on forward.input matches relu1_1..relu5_1", { skip: NO_GOLDEN }, (t) => {
    const check = loadGolden("vgg19-random-check.safetensors");
    const { vgg } = hashVgg();
    const before = live();
    torch.tidy(() => {
      const outputs = vgg.forward(check.get("forward.input")!);
      assert.equal(outputs.length, 5);
      outputs.forEach((out, i) => {
        const expected = check.get(`forward.relu${i + 1}_1`)!;
        const scale = expected.abs().amax().item();
        assertTensorClose(out, expected, `relu${i + 1}_1`, REL.vggForward * scale, REL.vggForward);
        const rel = relativeL2(out, expected);
        assert.ok(rel < REL.vggForward, `relu${i + 1}_1 relative L2 ${rel}`);
        t.diagnostic(
          `relu${i + 1}_1: relative L2 ${rel.toExponential(2)}, max |diff| ${out.sub(expected).abs().amax().item().toExponential(2)} (max |ref| ${scale.toFixed(3)})`,
        );
      });
    });
    assert.equal(live(), before);
  });

  test("a depth below 5 stops early; too small an image is an error naming the size needed", () => {
    const vgg = new Vgg19();
    torch.tidy(() => {
      assert.deepEqual(
        vgg.forward(torch.rand([1, 3, 4, 4]), 3).map((o) => [...o.shape]),
        [
          [1, 64, 4, 4],
          [1, 128, 2, 2],
          [1, 256, 1, 1],
        ],
      );
      assert.throws(() => vgg.forward(torch.rand([1, 3, 8, 8])), /8x8 image is too small: relu5_1 needs at least 16x16/);
    });
    vgg.dispose();
  });
});

describe("Vgg19 weight files", () => {
  const file = (name: string) => join(scratch, name);
  const messageOf = (fn: () => unknown): string => {
    try {
      fn();
    } catch (error) {
      return (error as Error).message;
    }
    assert.fail("expected an error");
  };

  test("extra tensors (torchvision's classifier) are ignored", () => {
    const { weights } = hashVgg();
    const path = file("with-classifier.safetensors");
    torch.tidy(() => writeSafetensors(path, new Map([...weights, ["classifier.0.weight", torch.ones([4, 8])]])));
    const vgg = Vgg19.fromFile(path);
    for (const [name, p] of vgg.namedParameters()) assert.ok(p.equal(weights.get(name)!), name);
    vgg.dispose();
  });

  test("wrong names: one error naming the file, the missing tensors, their shapes and the docs", () => {
    const path = file("prefixed.safetensors");
    torch.tidy(() =>
      writeSafetensors(path, { "vgg.features.0.weight": torch.zeros([64, 3, 3, 3]), "vgg.features.0.bias": torch.zeros([64]) }),
    );
    const before = live();
    const m = messageOf(() => Vgg19.fromFile(path));
    assert.match(m, new RegExp(`VGG-19 weights ${path} do not fit`));
    assert.match(m, /missing tensors \(name, expected shape\):\n\s+features\.0\.weight \[64, 3, 3, 3\]\n\s+features\.0\.bias \[64\]/);
    assert.match(m, /features\.28\.weight \[512, 512, 3, 3\]/);
    assert.match(m, /write the tensors without 'vgg\.'/);
    assert.match(m, /docs\/losses\.md/);
    assert.match(m, /perceptual: pixel/);
    assert.equal(live(), before, "the half-built model is disposed");
  });

  test("a mis-shaped tensor is named with both shapes", () => {
    const { weights } = hashVgg();
    const path = file("misshaped.safetensors");
    torch.tidy(() => writeSafetensors(path, new Map([...weights, ["features.2.weight", torch.zeros([64, 64, 1, 1])]])));
    const m = messageOf(() => Vgg19.fromFile(path));
    assert.match(m, /mis-shaped tensors:\n\s+features\.2\.weight: expected \[64, 64, 3, 3\], the file has \[64, 64, 1, 1\]/);
    assert.doesNotMatch(m, /missing/);
  });

  test("a missing or unreadable file says so and points to the docs", () => {
    assert.throws(() => Vgg19.fromFile(file("nope.safetensors")), /VGG-19 weights: .*nope\.safetensors.*\n.*docs\/losses\.md/);
  });
});

describe("reconstructionLoss", () => {
  const params = (overrides: Partial<TrainParams>): TrainParams => ({ ...DEFAULT_CONFIG.train_params, ...overrides });

  test("perceptual: vgg without weights is an error, never a silent switch to pixel", () => {
    assert.throws(
      () => reconstructionLoss(params({ perceptual: "vgg", vgg_weights: "" })),
      /no VGG-19 weights were given: set train_params\.vgg_weights .* or set `perceptual: pixel`/,
    );
  });

  test("vgg with a file (config or option) builds the perceptual loss; pixel needs no file", () => {
    const { weights } = hashVgg();
    const path = join(scratch, "factory.safetensors");
    torch.tidy(() => writeSafetensors(path, weights));
    for (const loss of [reconstructionLoss(params({ vgg_weights: path })), reconstructionLoss(params({}), { vggWeights: path })]) {
      assert.ok(loss instanceof PerceptualPyramidLoss);
      assert.deepEqual(loss.pyramid.scales, [1, 0.5, 0.25, 0.125]);
      assert.match(describeReconstructionLoss(loss), /perceptual \(VGG-19/);
      loss.dispose();
    }
    const pixel = reconstructionLoss(params({ perceptual: "pixel" }));
    assert.ok(pixel instanceof PixelPyramidLoss);
    assert.match(describeReconstructionLoss(pixel), /pixel \(L1 x 10 \+ \(1 - SSIM\) x 10; no VGG-19\)/);
    pixel.dispose();
  });
});

describe("ImagePyramid", () => {
  test("one anti-aliased level per scale, kernels as buffers named after FOMM's", () => {
    const pyramid = new ImagePyramid([1, 0.5, 0.25], 3);
    assert.deepEqual(
      [...pyramid.namedBuffers()].map(([n, b]) => [n, [...b.shape]]),
      [
        ["down_1.weight", [3, 1, 1, 1]],
        ["down_0-5.weight", [3, 1, 5, 5]],
        ["down_0-25.weight", [3, 1, 13, 13]],
      ],
    );
    torch.tidy(() => {
      const x = torch.rand([2, 3, 20, 20]);
      const levels = pyramid.forward(x);
      assert.deepEqual(
        levels.map((l) => [l.scale, ...l.image.shape]),
        [
          [1, 2, 3, 20, 20],
          [0.5, 2, 3, 10, 10],
          [0.25, 2, 3, 5, 5],
        ],
      );
      assert.equal(levels[0].image, x);
    });
    pyramid.dispose();
  });
});

describe("perceptual pyramid loss on FOMM's 64 px training step", { skip: NO_GOLDEN }, () => {
  const golden = () => loadGolden("fomm-tiny-train-64px.safetensors");
  const scales = [1, 0.5, 0.25];

  test("every term and the total within 2e-5 relative; gradient reaches the prediction only", (t) => {
    const g = golden();
    const loss = new PerceptualPyramidLoss(hashVgg().vgg, { scales, weights: [10, 10, 10, 10, 10] });
    const before = live();
    torch.tidy(() => {
      const prediction = g.get("generator.prediction")!.clone().requiresGrad_();
      const { total, terms } = loss.forward(prediction, g.get("input.driving")!);
      const expectedNames = scales.flatMap((s) => [1, 2, 3, 4, 5].map((i) => `scale_${s}.relu${i}_1`));
      assert.deepEqual([...terms.keys()], expectedNames);
      let worst = 0;
      for (const [name, term] of terms) {
        const expected = g.get(`perceptual_term.${name}`)!.item();
        const rel = Math.abs(term.item() - expected) / expected;
        worst = Math.max(worst, rel);
        assert.ok(rel <= REL.perceptualTerm, `${name}: ${term.item()} vs ${expected} (relative ${rel.toExponential(2)})`);
        assert.equal(term.requiresGrad, false, `${name} is detached`);
      }
      const expectedTotal = g.get("loss.perceptual")!.item();
      const relTotal = Math.abs(total.item() - expectedTotal) / expectedTotal;
      assert.ok(relTotal <= REL.perceptualTerm, `loss.perceptual ${total.item()} vs ${expectedTotal}`);
      t.diagnostic(`15 terms: worst relative difference ${worst.toExponential(2)}; loss.perceptual ${relTotal.toExponential(2)}`);
      total.backward();
      assert.ok(prediction.grad!.abs().sum().item() > 0);
      assert.ok(loss.vgg.parameters().every((p) => p.grad === undefined));
    });
    assert.equal(live(), before);
  });

  test("zero-weighted terms are skipped and VGG stops at the deepest weighted layer", () => {
    const g = golden();
    const loss = new PerceptualPyramidLoss(hashVgg().vgg, { scales: [0.5], weights: [10, 0, 2, 0, 0] });
    assert.equal(loss.depth, 3);
    torch.tidy(() => {
      const { total, terms } = loss.forward(g.get("generator.prediction")!, g.get("input.driving")!);
      assert.deepEqual([...terms.keys()], ["scale_0.5.relu1_1", "scale_0.5.relu3_1"]);
      const expected = 10 * g.get("perceptual_term.scale_0.5.relu1_1")!.item() + 2 * g.get("perceptual_term.scale_0.5.relu3_1")!.item();
      assert.ok(Math.abs(total.item() - expected) <= REL.perceptualTerm * expected);
    });
  });

  test("a level too small for relu5_1 (scale 0.125 of 64 px) is an error that says what to do", () => {
    const g = golden();
    const loss = new PerceptualPyramidLoss(hashVgg().vgg, { scales: [1, 0.125], weights: [10, 10, 10, 10, 10] });
    assert.throws(
      () => loss.forward(g.get("generator.prediction")!, g.get("input.driving")!),
      /at scale 0\.125 the image is 8x8, but VGG-19 needs at least 16x16 to reach relu5_1: drop scale 0\.125/,
    );
  });

  test("weights must be five", () => {
    assert.throws(() => new PerceptualPyramidLoss(hashVgg().vgg, { scales, weights: [10, 10] }), /needs 5 weights/);
  });
});

describe("SSIM", () => {
  const C1 = 0.01 ** 2;
  const constant = (value: number, shape = [1, 2, 12, 14]) => torch.full(shape, value, { dtype: "float64" });

  test("constant a vs constant b: (2ab + C1) / (a^2 + b^2 + C1), variances being 0", () => {
    torch.tidy(() => {
      for (const [a, b] of [
        [0.3, 0.7],
        [0.9, 0.1],
        [0.5, 0.5],
        [0, 1],
      ]) {
        const got = ssim(constant(a), constant(b)).toArray();
        const expected = (2 * a * b + C1) / (a * a + b * b + C1);
        for (const v of got) assert.ok(Math.abs(v - expected) <= TOL.exact.float64!, `a ${a}, b ${b}: ${v} vs ${expected}`);
      }
    });
  });

  test("identity gives exactly 1; SSIM is symmetric; the map is the valid part", () => {
    torch.tidy(() => {
      const x = torch.rand([2, 3, 16, 21], { generator: new torch.Generator(3) });
      const y = torch.rand([2, 3, 16, 21], { generator: new torch.Generator(4) });
      assert.deepEqual(ssim(x, x).toArray(), [1, 1]);
      const xy = ssim(x, y).toArray();
      const yx = ssim(y, x).toArray();
      xy.forEach((v, i) => assert.ok(Math.abs(v - yx[i]) <= TOL.exact.float32!, `symmetry ${v} vs ${yx[i]}`));
      assert.ok(
        xy.every((v) => v < 0.2),
        `unrelated noise has low SSIM: ${xy}`,
      );
      assert.deepEqual([...ssimMap(x, y).shape], [2, 3, 6, 11]);
    });
  });

  test("matches scikit-image's convention (numpy transcription) on two 3x16x21 images", () => {
    // Expected values from /usr/bin/python3 with numpy 1.24 (no scikit-image there), writing out
    // structural_similarity(x, y, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
    // data_range=1, channel_axis=0) as scikit-image computes it:
    //   def gaussian_filter(img, sigma=1.5, truncate=3.5):        # scipy.ndimage, mode 'reflect'
    //       r = int(truncate * sigma + 0.5)
    //       w = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2); w /= w.sum()
    //       out = img
    //       for axis in (0, 1):
    //           p = [(0, 0), (0, 0)]; p[axis] = (r, r)
    //           padded = np.pad(out, p, mode="symmetric"); n = out.shape[axis]
    //           out = sum(w[k] * np.take(padded, np.arange(k, k + n), axis=axis) for k in range(2 * r + 1))
    //       return out
    //   per channel: ux, uy, uxx, uyy, uxy = gaussian_filter of x, y, x*x, y*y, x*y
    //   S = (2 ux uy + C1)(2 (uxy - ux uy) + C2) / ((ux^2 + uy^2 + C1)((uxx - ux^2) + (uyy - uy^2) + C2))
    //   ssim = mean over channels of S[5:-5, 5:-5].mean()
    // with the images of `images(b)` below (numpy's sin/cos/clip on the same formulas).
    const expected = [0.8096538404232242, 0.8138566187174451];
    const images = (b: number) => {
      const [h, w] = [16, 21];
      const x = new Float64Array(3 * h * w);
      const y = new Float64Array(3 * h * w);
      for (let c = 0; c < 3; c++)
        for (let i = 0; i < h; i++)
          for (let j = 0; j < w; j++) {
            const k = (c * h + i) * w + j;
            x[k] = 0.5 + 0.45 * Math.sin(0.37 * i * (b + 1) + 0.23 * j + 1.1 * c) * Math.cos(0.11 * i * j + 0.5 * b);
            y[k] = Math.min(1, Math.max(0, x[k] + 0.2 * Math.sin(1.7 * i - 0.9 * j + c + b)));
          }
      return [x, y].map((d) => torch.fromArray(d, [1, 3, h, w]));
    };
    torch.tidy(() => {
      const [x0, y0] = images(0);
      const [x1, y1] = images(1);
      const got = ssim(torch.cat([x0, x1]), torch.cat([y0, y1])).toArray();
      got.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) <= 1e-12, `image ${i}: ${v} vs ${expected[i]}`));
    });
  });

  test("gradient matches finite differences (float64, both inputs)", () => {
    gradcheck("ssimMap", (x, y) => ssimMap(x, y), [input([1, 1, 12, 13], 11, 0, 1), input([1, 1, 12, 13], 12, 0, 1)]);
  });

  test("an image smaller than the window is an error", () => {
    torch.tidy(() => {
      assert.throws(() => ssim(torch.rand([1, 3, 8, 16]), torch.rand([1, 3, 8, 16])), /8x16 image is smaller than the 11x11 window/);
      assert.throws(() => ssim(torch.rand([1, 3, 16, 16]), torch.rand([1, 3, 16, 15])), /same shape/);
    });
  });
});

describe("pixel loss", () => {
  const scales = [1, 0.5, 0.25];

  test("zero for identical images; named terms; no SSIM on levels under 11 px", () => {
    const loss = new PixelPyramidLoss({ scales, l1: 10, ssim: 5 });
    torch.tidy(() => {
      const x = torch.rand([2, 3, 32, 32], { generator: new torch.Generator(5) });
      const { total, terms } = loss.forward(x, x.clone());
      // 32 px: levels 32, 16 and 8; the 8x8 level is smaller than the SSIM window.
      assert.deepEqual(
        [...terms.keys()],
        ["scale_1.l1", "scale_1.one_minus_ssim", "scale_0.5.l1", "scale_0.5.one_minus_ssim", "scale_0.25.l1"],
      );
      assert.equal(total.item(), 0);
      for (const [name, term] of terms) assert.equal(term.item(), 0, name);
    });
    loss.dispose();
  });

  test("positive for different images, total = weighted terms, gradient reaches the prediction", () => {
    const loss = new PixelPyramidLoss({ scales, l1: 10, ssim: 5 });
    const before = live();
    torch.tidy(() => {
      const target = torch.rand([2, 3, 32, 32], { generator: new torch.Generator(6) });
      const prediction = target
        .add(torch.randn([2, 3, 32, 32], { generator: new torch.Generator(7) }).mul(0.1))
        .clamp(0, 1)
        .requiresGrad_();
      const { total, terms } = loss.forward(prediction, target);
      let sum = 0;
      for (const [name, term] of terms) {
        assert.ok(term.item() > 0, name);
        sum += term.item() * (name.endsWith(".l1") ? 10 : 5);
      }
      assert.ok(Math.abs(total.item() - sum) <= TOL.exact.float32! * sum);
      total.backward();
      assert.ok(prediction.grad!.abs().sum().item() > 0);
    });
    assert.equal(live(), before);
    loss.dispose();
  });

  test("zero-weighted terms are skipped", () => {
    const loss = new PixelPyramidLoss({ scales, l1: 0, ssim: 1 });
    torch.tidy(() => {
      const { terms } = loss.forward(torch.rand([1, 3, 32, 32]), torch.rand([1, 3, 32, 32]));
      assert.deepEqual([...terms.keys()], ["scale_1.one_minus_ssim", "scale_0.5.one_minus_ssim"]);
    });
    loss.dispose();
  });
});
