// The pixel-level evaluation metrics (src/eval/metrics): L1, PSNR, SSIM and MS-SSIM against hand
// computed values and closed forms, against the independent numpy/scipy references of
// test/fixtures/make_eval_metrics_reference.py (scikit-image's SSIM algorithm over scipy,
// pytorch-msssim's ms_ssim transcribed to numpy), identities and bad inputs.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import * as torch from "../src/torch/index.js";
import { MS_SSIM_WEIGHTS, l1, msSsim, msSsimScaleSizes, msSsimWindow, psnr, ssim } from "../src/eval/metrics/index.js";
import { METRIC_REL, REFERENCE, referenceImages } from "./helpers/metric-fixtures.js";
import { assertClose } from "./helpers/assert.js";
import { TOL } from "./helpers/tolerance.js";
import { oneThread } from "./helpers/threads.js";

oneThread();

const C1 = 0.01 ** 2;
const constant = (value: number, shape = [2, 3, 64, 64]) => torch.full(shape, value, { dtype: "float64" });

describe("L1", () => {
  test("per-image mean |a - b|: hand-computed values, 0 for identical images", () => {
    torch.tidy(() => {
      // Image 0: a 0.25 vs b 0.75 everywhere -> 0.5. Image 1: b = a except channel 2, +0.3 -> 0.1.
      const a = torch.cat([constant(0.25, [1, 3, 8, 8]), constant(0.4, [1, 3, 8, 8])]);
      const b1 = torch.cat([constant(0.4, [1, 2, 8, 8]), constant(0.7, [1, 1, 8, 8])], 1);
      const b = torch.cat([constant(0.75, [1, 3, 8, 8]), b1]);
      assertClose(l1(a, b).toArray(), [0.5, 0.1], TOL.exact.float64!, 0, "l1");
      assert.deepEqual(l1(a, a).toArray(), [0, 0]);
    });
  });
});

describe("PSNR", () => {
  test("a known MSE: 0.5 vs 0.6 is MSE 0.01, 20 dB; 10 dB per decade of MSE; dataRange scales", () => {
    torch.tidy(() => {
      const a = constant(0.5, [2, 3, 16, 16]);
      assertClose(psnr(a, constant(0.6, [2, 3, 16, 16])).toArray(), [20, 20], 1e-12, 0, "psnr 0.1 offset");
      assertClose(psnr(a, constant(0.5 + Math.sqrt(0.001), [2, 3, 16, 16])).toArray(), [30, 30], 1e-12, 0, "psnr MSE 1e-3");
      assertClose(psnr(a.mul(255), constant(0.6 * 255, [2, 3, 16, 16]), 255).toArray(), [20, 20], 1e-12, 0, "psnr on 0..255");
    });
  });

  test("identical images give Infinity, image by image", () => {
    torch.tidy(() => {
      const [x, y] = referenceImages(2, 3, 16, 16);
      const b = torch.cat([x.narrow(0, 0, 1), y.narrow(0, 1, 1)]); // image 0 identical, image 1 not
      const got = psnr(x, b).toArray();
      assert.equal(got[0], Infinity);
      assert.ok(Number.isFinite(got[1]) && got[1] > 10, `image 1: ${got[1]}`);
    });
  });
});

describe("SSIM", () => {
  test("identical images give exactly 1; constants give (2ab + C1) / (a^2 + b^2 + C1)", () => {
    torch.tidy(() => {
      const [x] = referenceImages(2, 3, 64, 64);
      assert.deepEqual(ssim(x, x).toArray(), [1, 1]);
      const [a, b] = [0.3, 0.8];
      const expected = (2 * a * b + C1) / (a * a + b * b + C1);
      assertClose(ssim(constant(a), constant(b)).toArray(), [expected, expected], TOL.exact.float64!, 0, "constant SSIM");
    });
  });

  test("matches scikit-image's algorithm (scipy.ndimage.gaussian_filter, crop 5 px) at 64 px", () => {
    // Reference: make_eval_metrics_reference.py's skimage_ssim, i.e. structural_similarity(x, y,
    // gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1, channel_axis=0)
    // computed over scipy 1.17.1 (scikit-image itself is not installed here).
    torch.tidy(() => {
      const [x, y] = referenceImages(2, 3, 64, 64);
      assertClose(ssim(x, y).toArray(), REFERENCE.ssim_64, 0, METRIC_REL.pixel64, "ssim float64");
      assertClose(ssim(x.float(), y.float()).toArray(), REFERENCE.ssim_64, 0, METRIC_REL.pixel32, "ssim float32");
    });
  });

  test("bad inputs: shape mismatch, too small, outside [0, 1]", () => {
    torch.tidy(() => {
      const [x, y] = referenceImages(1, 3, 16, 16);
      assert.throws(
        () => ssim(x, y.narrow(3, 0, 15)),
        /ssim: needs two image batches \(B, C, H, W\) of the same shape, got \[1, 3, 16, 16\] and \[1, 3, 16, 15\]/,
      );
      assert.throws(() => ssim(x.narrow(2, 0, 10), y.narrow(2, 0, 10)), /ssim: a 10x16 image is smaller than the 11x11 window/);
      assert.throws(
        () => ssim(x.mul(255), y.mul(255)),
        /ssim: images must be in \[0, 1\], got values in \[.*\] \(0\.\.255 images\? divide by 255\)/,
      );
      assert.throws(() => ssim(x, y.float()), /same shape|one dtype/);
    });
  });
});

describe("MS-SSIM", () => {
  test("scale sizes and windows: pytorch-msssim's pooling, the window shrinks only where it must", () => {
    assert.deepEqual(msSsimScaleSizes(64, 64), [
      [64, 64],
      [32, 32],
      [16, 16],
      [8, 8],
      [4, 4],
    ]);
    assert.deepEqual(msSsimScaleSizes(161, 167), [
      [161, 167],
      [81, 84],
      [41, 42],
      [21, 21],
      [11, 11],
    ]);
    for (const [key, { windows }] of Object.entries(REFERENCE.ms_ssim)) {
      const [h, w] = key.split("x").map(Number);
      assert.deepEqual(
        msSsimScaleSizes(h, w).map(([sh, sw]) => msSsimWindow(sh, sw)),
        windows,
        key,
      );
    }
  });

  test("identical images give 1; constants give luminance^0.1333 (every cs is 1)", () => {
    torch.tidy(() => {
      const [x] = referenceImages(2, 3, 64, 64);
      assertClose(msSsim(x, x).toArray(), [1, 1], 1e-15, 0, "identity");
      const [a, b] = [0.3, 0.8];
      const expected = ((2 * a * b + C1) / (a * a + b * b + C1)) ** MS_SSIM_WEIGHTS[4];
      assertClose(msSsim(constant(a), constant(b)).toArray(), [expected, expected], 1e-12, 0, "constant MS-SSIM");
    });
  });

  test("matches pytorch-msssim's ms_ssim (numpy transcription) at 161x167, and dime's small-image rule at 64x64 and 48x52", () => {
    torch.tidy(() => {
      for (const [key, { values }] of Object.entries(REFERENCE.ms_ssim)) {
        const [h, w] = key.split("x").map(Number);
        const [x, y] = referenceImages(2, 3, h, w);
        assertClose(msSsim(x, y).toArray(), values, 0, METRIC_REL.pixel64, `ms-ssim ${key} float64`);
        assertClose(msSsim(x.float(), y.float()).toArray(), values, 0, METRIC_REL.pixel32, `ms-ssim ${key} float32`);
      }
    });
  });

  test("bad inputs: too small for five scales, shape mismatch", () => {
    torch.tidy(() => {
      const [x, y] = referenceImages(1, 3, 32, 32);
      assert.throws(
        () => msSsim(x, y),
        /msSsim: a 32x32 image is too small for 5 scales: the coarsest would be 2x2 px, under the 3-px minimum window \(sides of at least 33 px/,
      );
      assert.equal(msSsim(...referenceImages(1, 3, 33, 33)).shape.join(), "1"); // the smallest accepted
      assert.throws(() => msSsim(x, y.narrow(1, 0, 2)), /msSsim: needs two image batches/);
    });
  });
});

test("no tensor is left behind by the metrics", () => {
  const [x, y] = referenceImages(2, 3, 64, 64);
  const before = torch.memory().numTensors;
  torch.dispose([l1(x, y), psnr(x, y), ssim(x, y), msSsim(x, y)]);
  assert.equal(torch.memory().numTensors, before);
  torch.dispose([x, y]);
});
