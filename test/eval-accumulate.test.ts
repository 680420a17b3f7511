// Scoring and averaging (src/eval/accumulate.ts, moments.ts, scoring.ts, evaluate-reconstruction.ts,
// table.ts): per-frame means pool all frames (not video means), skip NaN and keep Infinity; a
// perfect prediction gives L1 0, PSNR inf, SSIM and MS-SSIM 1; streamed feature moments equal
// featureStats of the whole set; a reconstruction's figures equal a hand recomputation from the
// protocol's own frames; metrics without weights are unavailable with the reason.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import * as torch from "../src/torch/index.js";
import { DiME } from "../src/dime/dime.js";
import { listVideos } from "../src/data/layout.js";
import { FrameMeans } from "../src/eval/accumulate.js";
import { loadJudges } from "../src/eval/detectors.js";
import { evaluateReconstruction } from "../src/eval/evaluate-reconstruction.js";
import { featureStats } from "../src/eval/metrics/index.js";
import { FeatureMoments } from "../src/eval/moments.js";
import { loadMetricNetworks } from "../src/eval/networks.js";
import { reconstructVideo } from "../src/eval/reconstruction.js";
import { jsonReport, type EvalReport } from "../src/eval/report.js";
import { scoreImages } from "../src/eval/scoring.js";
import { markdownTable, textTable } from "../src/eval/table.js";
import { writeRandomLpips } from "../src/bench/metric-weights.js";
import { tinyDimeParams } from "./helpers/model-fixtures.js";
import { configFor, faceFrames, writeFrames } from "./infer-fixtures.js";

describe("per-frame means", () => {
  test("pooled over all frames, NaN skipped and counted, Infinity kept", () => {
    const video1 = new FrameMeans();
    video1.add("l1", [0.1, 0.2, 0.3]);
    video1.add("akd", [1, NaN, 3]);
    const video2 = new FrameMeans();
    video2.add("l1", [0.5]);
    video2.add("psnr", [20, Infinity]);
    const all = new FrameMeans();
    all.merge(video1);
    all.merge(video2);
    assert.deepEqual(all.mean("l1"), { value: (0.1 + 0.2 + 0.3 + 0.5) / 4, frames: 4, skipped: 0 }); // not (0.2 + 0.5) / 2
    assert.deepEqual(all.mean("akd"), { value: 2, frames: 2, skipped: 1 });
    assert.deepEqual(all.mean("psnr"), { value: Infinity, frames: 2, skipped: 0 });
    assert.deepEqual(all.mean("csim"), { value: null, frames: 0, skipped: 0 });
  });

  test("a perfect prediction: L1 0, PSNR inf, SSIM 1, MS-SSIM 1; the table prints inf, the JSON 'Infinity'", () => {
    const means = new FrameMeans();
    torch.tidy(() => {
      const frames = torch.rand([3, 3, 64, 64], { generator: new torch.Generator(1) });
      scoreImages(means, frames, frames.clone(), new Set(["l1", "psnr", "ssim", "msSsim"] as const));
    });
    assert.equal(means.mean("l1").value, 0);
    assert.equal(means.mean("psnr").value, Infinity);
    assert.ok(Math.abs(means.mean("ssim").value! - 1) < 1e-6, `${means.mean("ssim").value}`);
    assert.ok(Math.abs(means.mean("msSsim").value! - 1) < 1e-6, `${means.mean("msSsim").value}`);
    const metrics = { l1: { value: 0, frames: 3 }, psnr: { value: Infinity, frames: 3 } };
    const text = textTable([{ name: "perfect", metrics }], ["l1", "psnr"]);
    assert.match(text.split("\n")[2], /^perfect\s+0\.0000\s+inf$/);
    const json = jsonReport({ rows: [{ metrics }] } as unknown as EvalReport) as { rows: { metrics: { psnr: { value: unknown } } }[] };
    assert.equal(json.rows[0].metrics.psnr.value, "Infinity");
  });

  test("markdown: arrows, the best of each column bold (lower or higher), unavailable with its reason", () => {
    const rows = [
      { name: "a", metrics: { l1: { value: 0.02 }, psnr: { value: 30 }, fid: { value: null, unavailable: "no Inception" } } },
      { name: "b", metrics: { l1: { value: 0.03 }, psnr: { value: 31 }, fid: { value: null, unavailable: "no Inception" } } },
    ];
    const md = markdownTable(rows, ["l1", "psnr", "fid"]).split("\n");
    assert.equal(md[0], "| model | L1 ↓ | PSNR ↑ | FID ↓ |");
    assert.equal(md[2], "| a | **0.0200** | 30.00 | unavailable |");
    assert.equal(md[3], "| b | 0.0300 | **31.00** | unavailable |");
    assert.deepEqual(md.slice(4), ["", "- FID unavailable: no Inception"]);
  });
});

test("streamed feature moments equal featureStats of the whole set", () => {
  torch.tidy(() => {
    const features = torch
      .randn([37, 6], { generator: new torch.Generator(2) })
      .mul(0.3)
      .add(50); // a large mean against the spread
    const moments = new FeatureMoments();
    for (const part of features.split(10, 0)) moments.add(part);
    const streamed = moments.stats();
    const whole = featureStats(features);
    assert.equal(moments.count, 37);
    assert.ok(streamed.mu.sub(whole.mu).abs().amax().item() < 1e-12);
    assert.ok(streamed.sigma.sub(whole.sigma).abs().amax().item() < 1e-12, `${streamed.sigma.sub(whole.sigma).abs().amax().item()}`);
    moments.dispose();
  });
});

describe("reconstruction scores", () => {
  let dir: string;
  let model: DiME;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "dime-eval-scores-"));
    for (const [name, count, seed] of [
      ["clip-a", 5, 40],
      ["clip-b", 3, 41],
    ] as const) {
      mkdirSync(join(dir, "data", "test"), { recursive: true });
      await writeFrames(join(dir, "data", "test", name), faceFrames(count, seed), 25);
    }
    torch.manualSeed(4);
    model = new DiME(configFor(tinyDimeParams({ num_refs: 1 })).model_params).eval();
  });
  after(() => {
    model.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  test("per-frame means (and per-video ones) equal a recomputation from the protocol's frames; real data lacks AKD and FD-synth", async () => {
    const lpipsBackbone = writeRandomLpips(dir);
    const networks = loadMetricNetworks({ lpipsBackbone });
    const judges = loadJudges({});
    const videos = await listVideos(join(dir, "data"), "test");
    const size = { width: 64, height: 64 };
    try {
      const result = await evaluateReconstruction(
        model,
        videos,
        [undefined, undefined],
        size,
        { networks, judges },
        { refs: 1, seed: 3, batch: 2 },
      );
      // By hand: the same protocol's frames, each metric written out with plain tensor ops.
      const perVideo: { l1: number[]; psnr: number[]; lpips: number[] }[] = [];
      for (const video of videos) {
        const values = { l1: [] as number[], psnr: [] as number[], lpips: [] as number[] };
        for await (const part of reconstructVideo(model, video, size, { refs: 1, seed: 3, batch: 4 })) {
          torch.tidy(() => {
            const diff = part.prediction.sub(part.driving);
            values.l1.push(...diff.abs().mean([1, 2, 3]).toArray());
            values.psnr.push(
              ...diff
                .square()
                .mean([1, 2, 3])
                .toArray()
                .map((mse) => -10 * Math.log10(mse)),
            );
            values.lpips.push(...networks.lpips!.forward(part.prediction, part.driving).toArray());
          });
        }
        perVideo.push(values);
      }
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const pooled = (key: "l1" | "psnr" | "lpips") => mean(perVideo.flatMap((v) => v[key]));
      assert.equal(result.frames, 8);
      assert.equal(result.metrics.l1!.frames, 8);
      for (const key of ["l1", "psnr", "lpips"] as const) {
        const got = result.metrics[key]!.value!;
        assert.ok(Math.abs(got - pooled(key)) <= 1e-5 * Math.abs(pooled(key)), `${key}: ${got} vs ${pooled(key)} by hand`);
        for (const [v, part] of result.parts.entries())
          assert.ok(
            Math.abs(part.metrics[key]! - mean(perVideo[v][key])) <= 1e-5 * Math.abs(mean(perVideo[v][key])),
            `${key} of ${part.name}`,
          );
      }
      assert.deepEqual(
        result.parts.map((p) => [p.name, p.frames]),
        [
          ["clip-a", 5],
          ["clip-b", 3],
        ],
      );
      assert.ok(result.metrics.ssim!.value! > 0 && result.metrics.ssim!.value! < 1);
      assert.deepEqual(Object.keys(result.metrics), ["l1", "lpips", "psnr", "ssim", "msSsim", "sharpness", "akd", "fid"]); // no FD-synth on real data
      assert.equal(result.metrics.akd!.value, null);
      assert.match(result.metrics.akd!.unavailable!, /real data \(no meta\.json\) and no --face-api/);
      assert.equal(result.metrics.fid!.value, null);
      assert.match(result.metrics.fid!.unavailable!, /no Inception weights given.*--inception FILE/);
    } finally {
      networks.dispose();
      judges.dispose();
    }
  });

  test("weights missing or not fitting: LPIPS and FID unavailable with the file's line, the heads shipped", () => {
    const none = loadMetricNetworks({});
    assert.match(none.unavailable.lpips!, /no LPIPS backbone given: LPIPS needs torchvision's ImageNet alexnet weights/);
    assert.match(none.files.lpipsHeads, /models\/lpips\/lpips_v0\.1_alex\.safetensors$/);
    const junk = join(dir, "junk.safetensors");
    writeFileSync(junk, "not a safetensors file");
    const bad = loadMetricNetworks({ lpipsBackbone: junk, lpipsNet: "vgg", inception: join(dir, "missing.safetensors") });
    assert.equal(bad.lpips, undefined);
    assert.equal(bad.inception, undefined);
    assert.match(bad.unavailable.lpips!, /LPIPS vgg backbone .*junk\.safetensors/);
    assert.match(bad.unavailable.fid!, /FID Inception-v3 weights .*missing\.safetensors/);
    for (const reason of Object.values(bad.unavailable)) assert.equal(reason.split("\n").length, 1);
    none.dispose();
    bad.dispose();
  });
});
