// LPIPS (src/eval/metrics/lpips.ts) with random (hash) backbone weights written to a temporary
// safetensors file under torchvision's names: d(x, x) = 0, the value against LPIPS written out here
// with plain tensor ops from the same weights, against the numpy reference of
// test/fixtures/make_eval_metrics_reference.py (float64), and the refusal of files that do not fit.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, test } from "node:test";

import * as torch from "../src/torch/index.js";
import type { Tensor } from "../src/torch/index.js";
import { writeSafetensors } from "../src/io/safetensors.js";
import { LPIPS_BACKBONES, Lpips, backboneTensorShapes, lpipsHeadShapes, type LpipsNet } from "../src/eval/metrics/index.js";
import { METRIC_REL, REFERENCE, assertRefuses, hashWeights, referenceImages, weightsDir } from "./helpers/metric-fixtures.js";
import { assertClose } from "./helpers/assert.js";
import { DATA_DIR, fixtureSkip } from "./helpers/shared-fixtures.js";
import { oneThread } from "./helpers/threads.js";
import { SLOW } from "./helpers/tier.js";

oneThread();

const dir = weightsDir("dime-lpips-");

/** Writes the hash backbone (plus an unused classifier tensor) and heads of `net`; returns the paths. */
function writeHashFiles(net: LpipsNet): { backbone: string; heads: string } {
  const spec = LPIPS_BACKBONES[net];
  const backbone = join(dir, `${net}-backbone.safetensors`);
  const heads = join(dir, `${net}-heads.safetensors`);
  torch.tidy(() => {
    const tensors = hashWeights(backboneTensorShapes(spec));
    tensors.set("classifier.1.weight", torch.zeros([4, 3])); // torchvision's full state dict has more: ignored
    writeSafetensors(backbone, tensors);
    writeSafetensors(heads, hashWeights(lpipsHeadShapes(spec)));
  });
  return { backbone, heads };
}

const files = { alex: writeHashFiles("alex"), vgg: writeHashFiles("vgg") };

/**
 * LPIPS v0.1 written out with plain ops from the weight maps, following lpips/lpips.py and
 * lpips/pretrained_networks.py line by line (not the module's code).
 */
function plainLpips(net: LpipsNet, a: Tensor, b: Tensor): Tensor {
  const spec = LPIPS_BACKBONES[net];
  const weights = hashWeights(new Map([...backboneTensorShapes(spec), ...lpipsHeadShapes(spec)]));
  const scaling = (x: Tensor) =>
    x
      .mul(2)
      .sub(1)
      .sub(torch.tensor([-0.03, -0.088, -0.188]).view(1, 3, 1, 1))
      .div(torch.tensor([0.458, 0.448, 0.45]).view(1, 3, 1, 1));
  const features = (x: Tensor) => {
    const outs: Tensor[] = [];
    if (net === "alex") {
      const c = (h: Tensor, i: number, stride: number, padding: number) =>
        torch.F.conv2d(h, weights.get(`features.${i}.weight`)!, weights.get(`features.${i}.bias`), { stride, padding }).relu();
      let h = c(x, 0, 4, 2); // slice1: features[0:2]
      outs.push(h);
      h = c(torch.F.maxPool2d(h, 3, { stride: 2 }), 3, 1, 2); // slice2: [2:5]
      outs.push(h);
      h = c(torch.F.maxPool2d(h, 3, { stride: 2 }), 6, 1, 1); // slice3: [5:8]
      outs.push(h);
      h = c(h, 8, 1, 1); // slice4: [8:10]
      outs.push(h);
      outs.push(c(h, 10, 1, 1)); // slice5: [10:12]
    } else {
      const c = (h: Tensor, i: number) =>
        torch.F.conv2d(h, weights.get(`features.${i}.weight`)!, weights.get(`features.${i}.bias`), { padding: 1 }).relu();
      const slices = [
        [0, 2],
        [5, 7],
        [10, 12, 14],
        [17, 19, 21],
        [24, 26, 28],
      ];
      let h = x;
      slices.forEach((convs, s) => {
        if (s > 0) h = torch.F.maxPool2d(h, 2);
        for (const i of convs) h = c(h, i);
        outs.push(h);
      });
    }
    return outs;
  };
  const normalize = (f: Tensor) => f.div(f.square().sum(1, true).sqrt().add(1e-10));
  const [fa, fb] = [features(scaling(a)), features(scaling(b))];
  let total: Tensor | undefined;
  fa.forEach((f, k) => {
    const d = torch.F.conv2d(normalize(f).sub(normalize(fb[k])).square(), weights.get(`lin${k}.model.1.weight`)!).mean([2, 3], true);
    total = total === undefined ? d : total.add(d);
  });
  return total!.view(-1);
}

for (const net of ["alex", "vgg"] as const) {
  describe(`LPIPS ${net}`, () => {
    const lpips = Lpips.fromFiles(net, files[net]);
    after(() => lpips.dispose());

    test("d(x, x) = 0 and d(x, y) > 0, per image", () => {
      torch.tidy(() => {
        const [x, y] = referenceImages(2, 3, 64, 64).map((t) => t.float());
        assert.deepEqual(lpips.forward(x, x).toArray(), [0, 0]);
        const d = lpips.forward(x, y).toArray();
        assert.ok(
          d.every((v) => v > 1e-3),
          `distinct images: ${d}`,
        );
      });
    });

    // A second derivation next to the numpy reference below: full tier.
    test("equals LPIPS written out with plain ops from the same weights", SLOW, () => {
      torch.tidy(() => {
        const [x, y] = referenceImages(2, 3, 48, 40).map((t) => t.float());
        assertClose(lpips.forward(x, y).toArray(), plainLpips(net, x, y).toArray(), 0, METRIC_REL.lpipsPlainOps, `${net} vs plain ops`);
      });
    });

    test("matches the numpy LPIPS reference (make_eval_metrics_reference.py) at 64 px", () => {
      torch.tidy(() => {
        const [x, y] = referenceImages(2, 3, 64, 64);
        assertClose(lpips.forward(x.float(), y.float()).toArray(), REFERENCE.lpips_64[net], 0, METRIC_REL.lpips32, `${net} float32`);
        const lpips64 = Lpips.fromFiles(net, files[net]).to("float64");
        try {
          // The reference used float32-rounded images: the same rounding here.
          assertClose(
            lpips64.forward(x.float().double(), y.float().double()).toArray(),
            REFERENCE.lpips_64[net],
            0,
            METRIC_REL.lpips64,
            `${net} float64`,
          );
        } finally {
          lpips64.dispose();
        }
      });
    });

    test("the smallest image it accepts", () => {
      torch.tidy(() => {
        const min = LPIPS_BACKBONES[net].minSize;
        const [x, y] = referenceImages(1, 3, min, min).map((t) => t.float());
        assert.equal(lpips.forward(x, y).shape.join(), "1");
        const [sx, sy] = [x.narrow(2, 0, min - 1), y.narrow(2, 0, min - 1)];
        assert.throws(
          () => lpips.forward(sx, sy),
          new RegExp(`lpips: a ${min - 1}x${min} image is too small for LPIPS ${net} \\(.* needs at least ${min} px\\)`),
        );
      });
    });
  });
}

describe("LPIPS weight files", () => {
  test("a backbone file with other names is refused, naming the file and the first missing tensor", () => {
    const path = join(dir, "lpips-package-names.safetensors");
    torch.tidy(() => {
      // The lpips package's own state dict calls the convs net.slice1.0.weight, ...
      const renamed = new Map(
        [...hashWeights(backboneTensorShapes(LPIPS_BACKBONES.alex))].map(([name, t]) => [
          name.replace(/^features\.(\d+)/, (_, i) => `net.slice${Number(i) < 2 ? 1 : 2}.${i}`),
          t,
        ]),
      );
      writeSafetensors(path, renamed);
    });
    assertRefuses(
      () => Lpips.fromFiles("alex", { backbone: path, heads: files.alex.heads }),
      new RegExp(
        `^LPIPS alex backbone \\(torchvision alexnet\\) weights ${path}: no tensor 'features\\.0\\.weight' \\[64, 3, 11, 11\\] and 9 more of its 10 tensors\\. See docs/metrics\\.md`,
      ),
    );
  });

  test("a prefixed name gets a hint; a mis-shaped tensor and a missing file are named", () => {
    const prefixed = join(dir, "prefixed.safetensors");
    torch.tidy(() =>
      writeSafetensors(
        prefixed,
        new Map([...hashWeights(backboneTensorShapes(LPIPS_BACKBONES.alex))].map(([name, t]) => [`net.${name}`, t])),
      ),
    );
    assertRefuses(
      () => Lpips.fromFiles("alex", { backbone: prefixed, heads: files.alex.heads }),
      /no tensor 'features\.0\.weight' .*\(the file has 'net\.features\.0\.weight': write the names without 'net\.'\)/,
    );
    // The alex heads given to vgg: lin1 is [1, 192, 1, 1] there, [1, 128, 1, 1] here.
    assertRefuses(
      () => Lpips.fromFiles("vgg", { backbone: files.vgg.backbone, heads: files.alex.heads }),
      /^LPIPS vgg v0\.1 heads weights .*: tensor 'lin1\.model\.1\.weight' is \[1, 192, 1, 1\], expected \[1, 128, 1, 1\]/,
    );
    const missing = join(dir, "nowhere.safetensors");
    assertRefuses(
      () => Lpips.fromFiles("alex", { backbone: missing, heads: files.alex.heads }),
      new RegExp(`^LPIPS alex backbone \\(torchvision alexnet\\) weights ${missing}: cannot open`),
    );
  });

  test("bad inputs: other dtype or device than the network, shape mismatch, 0..255 images", () => {
    const lpips = Lpips.fromFiles("alex", files.alex);
    try {
      torch.tidy(() => {
        const [x, y] = referenceImages(1, 3, 32, 32);
        assert.throws(
          () => lpips.forward(x, y),
          /lpips: the images are float64 on cpu, the network is float32 on cpu: move one with \.to\(\)/,
        );
        const [xf, yf] = [x.float(), y.float()];
        assert.throws(() => lpips.forward(xf, yf.narrow(3, 0, 31)), /lpips: needs two image batches/);
        assert.throws(() => lpips.forward(xf.narrow(1, 0, 1), yf.narrow(1, 0, 1)), /lpips: needs 3-channel images/);
        assert.throws(() => lpips.forward(xf.mul(255), yf.mul(255)), /lpips: images must be in \[0, 1\]/);
      });
    } finally {
      lpips.dispose();
    }
  });

  const shared = join(DATA_DIR, "weights", "lpips");
  test("LPIPS's own v0.1 heads (converted to safetensors) load", { skip: fixtureSkip(shared, "LPIPS's v0.1 heads", "DIME_DATA") }, () => {
    for (const net of ["alex", "vgg"] as const) {
      const lpips = Lpips.fromFiles(net, { backbone: files[net].backbone, heads: join(shared, `lpips_v0.1_${net}.safetensors`) });
      const live = torch.memory().numTensors;
      torch.tidy(() => {
        const [x, y] = referenceImages(1, 3, 32, 32).map((t) => t.float());
        assert.ok(lpips.forward(x, y).item() > 0);
      });
      assert.equal(torch.memory().numTensors, live, "forward leaves no tensor behind");
      lpips.dispose();
    }
  });
});
