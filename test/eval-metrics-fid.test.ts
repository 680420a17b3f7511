// FID (src/eval/metrics): the FID Inception-v3 with random (hash) weights written to a temporary
// safetensors file under pytorch-fid's names (2048-d features; against the numpy transcription of
// pytorch-fid's network in test/fixtures/make_eval_metrics_reference.py; files that do not fit are
// refused), and the Frechet distance against closed forms and pytorch-fid's scipy computation.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";

import * as torch from "../src/torch/index.js";
import type { Tensor } from "../src/torch/index.js";
import { writeSafetensors } from "../src/io/safetensors.js";
import {
  INCEPTION_FEATURES,
  InceptionV3Features,
  featureStats,
  fid,
  frechetDistance,
  inceptionTensorShapes,
} from "../src/eval/metrics/index.js";
import { METRIC_REL, REFERENCE, assertRefuses, hashWeights, referenceImages, weightsDir } from "./helpers/metric-fixtures.js";
import { assertClose } from "./helpers/assert.js";
import { SLOW } from "./helpers/tier.js";
import { oneThread } from "./helpers/threads.js";

oneThread();

const dir = weightsDir("dime-fid-");

describe("InceptionV3Features", SLOW, () => {
  const weights = join(dir, "inception-hash.safetensors");
  torch.tidy(() => {
    const tensors = hashWeights(inceptionTensorShapes());
    tensors.set("fc.bias", torch.zeros([1008])); // in pytorch-fid's file; not read
    writeSafetensors(weights, tensors);
  });

  test("2048-d features that match the numpy transcription of pytorch-fid's network", () => {
    const net = InceptionV3Features.fromFile(weights);
    const live = torch.memory().numTensors;
    try {
      torch.tidy(() => {
        const [x] = referenceImages(2, 3, 64, 64);
        const check = (features: Tensor, rel: number, what: string) => {
          assert.deepEqual([...features.shape], [2, INCEPTION_FEATURES]);
          const f = features.double();
          const ref = REFERENCE.inception_64;
          // Element by element against the features' scale: small features carry the float32 round-off of large ones.
          const scale = Math.max(...ref.first8.flat().map(Math.abs));
          assertClose(f.narrow(1, 0, 8).flatten().toArray(), ref.first8.flat(), rel * scale, 0, `${what}: first 8 features`);
          assertClose(f.sum(1).toArray(), ref.sum, 0, rel, `${what}: feature sums`);
          assertClose(f.square().sum(1).toArray(), ref.sumsq, 0, rel, `${what}: feature sums of squares`);
        };
        check(net.forward(x.float()), METRIC_REL.inception32, "float32");
        net.to("float64");
        check(net.forward(x), METRIC_REL.inception64, "float64");
      });
      assert.equal(torch.memory().numTensors, live, "forward leaves no tensor behind");
    } finally {
      net.dispose();
    }
  });

  test("files that do not fit are refused in one line naming the file and the first missing tensor", () => {
    const refuses = (path: string, pattern: RegExp) => assertRefuses(() => InceptionV3Features.fromFile(path), pattern);
    const expected = inceptionTensorShapes().size;
    // pytorch-fid's InceptionV3 wrapper names its layers blocks.0.0 ...: not the FID weights' names.
    const wrapper = join(dir, "wrapper-names.safetensors");
    torch.tidy(() => writeSafetensors(wrapper, { "blocks.0.0.conv.weight": torch.zeros([32, 3, 3, 3]) }));
    refuses(
      wrapper,
      new RegExp(
        `^FID Inception-v3 weights ${wrapper}: no tensor 'Conv2d_1a_3x3\\.conv\\.weight' \\[32, 3, 3, 3\\] and ${expected - 1} more of its ${expected} tensors\\. See docs/metrics\\.md`,
      ),
    );
    const misShaped = join(dir, "mis-shaped.safetensors");
    torch.tidy(() => {
      const tensors = new Map([...inceptionTensorShapes()].map(([name, shape]) => [name, torch.zeros(shape)]));
      tensors.set("Mixed_7c.branch_pool.conv.weight", torch.zeros([192, 2048, 3, 3]));
      writeSafetensors(misShaped, tensors);
    });
    refuses(misShaped, /tensor 'Mixed_7c\.branch_pool\.conv\.weight' is \[192, 2048, 3, 3\], expected \[192, 2048, 1, 1\]/);
  });

  test("its names are pytorch-fid's FID Inception state dict (torchvision Inception3 names)", () => {
    const shapes = inceptionTensorShapes();
    // 94 BasicConv2d (conv weight + 4 batch-norm tensors each), no fc, no num_batches_tracked.
    assert.equal(shapes.size, 94 * 5);
    assert.deepEqual(shapes.get("Mixed_5b.branch_pool.conv.weight"), [32, 192, 1, 1]);
    assert.deepEqual(shapes.get("Mixed_6e.branch7x7dbl_5.conv.weight"), [192, 192, 1, 7]);
    assert.deepEqual(shapes.get("Mixed_7c.branch3x3dbl_3b.bn.running_var"), [384]);
    assert.equal([...shapes.keys()].filter((n) => n.startsWith("fc.") || n.includes("AuxLogits")).length, 0);
  });

  test("bad inputs: wrong channels, other dtype than the network, values outside [0, 1]", () => {
    const net = InceptionV3Features.fromFile(weights);
    try {
      torch.tidy(() => {
        assert.throws(() => net.forward(torch.rand([1, 1, 32, 32])), /inception: needs images \(B, 3, H, W\), got \[1, 1, 32, 32\]/);
        assert.throws(
          () => net.forward(torch.rand([1, 3, 32, 32], { dtype: "float64" })),
          /inception: the images are float64 on cpu, the network is float32 on cpu/,
        );
        assert.throws(() => net.forward(torch.rand([1, 3, 32, 32]).mul(255)), /inception: images must be in \[0, 1\]/);
      });
    } finally {
      net.dispose();
    }
  });
});

/** The script's fid_features(n, d, phase), float64. */
function fidFeatures(n: number, d: number, phase: number): Tensor {
  return torch.tidy(() => {
    const i = torch.arange(0, n, 1, { dtype: "float64" }).view(n, 1);
    const k = torch.arange(0, d, 1, { dtype: "float64" }).view(1, d);
    return i
      .mul(0.9)
      .add(k.mul(1.7))
      .add(phase)
      .sin()
      .add(k.mul(0.3).mul(i.mul(0.4).mul(k.add(1)).add(phase).cos()));
  });
}

describe("Frechet distance", () => {
  test("featureStats is numpy's mean and unbiased cov (rowvar=False)", () => {
    torch.tidy(() => {
      const { mu, sigma } = featureStats(fidFeatures(7, 4, 0));
      assertClose(mu.toArray(), REFERENCE.fid.mu_a, 1e-15, 1e-13, "mu");
      assertClose(sigma.toArray(), REFERENCE.fid.sigma_a.flat(), 1e-15, 1e-13, "sigma");
      assert.equal(mu.dtype, "float64");
    });
  });

  test("equals pytorch-fid's calculate_frechet_distance (scipy.linalg.sqrtm), full-rank and singular", () => {
    // Reference numbers: make_eval_metrics_reference.py, scipy 1.17.1; 7 and 9 samples of 4-d
    // features (full rank), and 3 samples (covariance of rank 2, where scipy's sqrtm of the
    // singular product is the least accurate).
    torch.tidy(() => {
      const a = fidFeatures(7, 4, 0);
      assertClose([fid(a, fidFeatures(9, 4, 0.8))], [REFERENCE.fid.a_vs_b], 0, METRIC_REL.frechet, "a vs b");
      // scipy's sqrtm of the singular product is good to ~1e-9 here (measured difference 2.3e-9).
      assertClose([fid(a, fidFeatures(3, 4, 1.9))], [REFERENCE.fid.a_vs_singular], 0, 1e-7, "a vs singular");
    });
  });

  test("a set against itself is 0; shifting the mean adds |shift|^2", () => {
    torch.tidy(() => {
      const feats = torch.randn([300, 64], { dtype: "float64", generator: new torch.Generator(5) });
      const { mu, sigma } = featureStats(feats);
      const scale = torch.einsum("ii->", sigma).item(); // the terms that cancel are this big
      assert.ok(Math.abs(frechetDistance(mu, sigma, mu, sigma)) <= 1e-12 * scale, `self distance ${frechetDistance(mu, sigma, mu, sigma)}`);
      const shift = torch.linspace(-1, 1, 64, { dtype: "float64" });
      const expected = shift.square().sum().item();
      assertClose([frechetDistance(mu, sigma, mu.add(shift), sigma)], [expected], 1e-12 * scale, 0, "mean shift");
    });
  });

  // The eigendecompositions of 2048x2048 matrices take seconds: full tier.
  test("a 2048-d set against itself is 0 though its covariance is singular", SLOW, () => {
    torch.tidy(() => {
      // 200 samples of 2048-d features: a singular covariance (rank 199). Without the rank cutoff the
      // square roots of 1849 round-off eigenvalues made this -1.8e-4; measured now: 9e-13.
      const wide = torch.randn([200, 2048], { dtype: "float64", generator: new torch.Generator(6) });
      const w = featureStats(wide);
      const d = frechetDistance(w.mu, w.sigma, w.mu, w.sigma);
      assert.ok(Math.abs(d) <= 1e-12 * torch.einsum("ii->", w.sigma).item(), `singular self distance ${d}`);
    });
  });

  test("closed forms: diagonal covariances, and commuting non-diagonal ones", () => {
    torch.tidy(() => {
      const mu1 = torch.tensor([0.5, -1, 2, 0], { dtype: "float64" });
      const mu2 = torch.tensor([1, 1, 1.5, -0.5], { dtype: "float64" });
      const s1 = [1, 4, 0.25, 2];
      const s2 = [9, 1, 0.25, 0.5];
      // |mu1 - mu2|^2 + sum(s1 + s2 - 2 sqrt(s1 s2)) = 4.75 + (4 + 1 + 0 + 0.5) = 10.25
      const expected = 0.25 + 4 + 0.25 + 0.25 + (1 + 9 - 6) + (4 + 1 - 4) + 0 + (2 + 0.5 - 2);
      assert.equal(expected, 10.25);
      const diag = (v: number[]) => torch.eye(v.length, { dtype: "float64" }).mul(torch.tensor(v, { dtype: "float64" }));
      assertClose([frechetDistance(mu1, diag(s1), mu2, diag(s2))], [expected], 0, METRIC_REL.frechet, "diagonal");
      // The same spectra in a rotated basis Q: S = Q diag(s) Q^T commute, and
      // tr sqrt(S1 S2) = sum sqrt(s1_i s2_i), so the distance is unchanged (mu rotated too).
      const q = torch.linalg.svd(fidFeatures(4, 4, 0.3)).U; // an orthogonal 4x4 matrix
      const rotate = (v: number[]) => torch.matmul(torch.matmul(q, diag(v)), q.mT);
      const rotateMu = (m: Tensor) => torch.matmul(q, m);
      assertClose([frechetDistance(rotateMu(mu1), rotate(s1), rotateMu(mu2), rotate(s2))], [expected], 0, METRIC_REL.frechet, "commuting");
    });
  });

  test("bad inputs: shapes, fewer than two samples", () => {
    torch.tidy(() => {
      const { mu, sigma } = featureStats(fidFeatures(7, 4, 0));
      assert.throws(
        () => frechetDistance(mu, sigma, mu.narrow(0, 0, 3), sigma),
        /frechetDistance: needs mu1 \(D\), sigma1 \(D, D\), mu2 \(D\), sigma2 \(D, D\), got \[4\], \[4, 4\], \[3\], \[4, 4\]/,
      );
      assert.throws(() => featureStats(fidFeatures(1, 4, 0)), /featureStats: needs at least 2 feature vectors/);
      assert.throws(
        () => fid(fidFeatures(5, 4, 0), fidFeatures(5, 3, 0)),
        /fid: needs two feature sets \(N, D\) of one D, got \[5, 4\] and \[5, 3\]/,
      );
    });
  });
});
