// The synthetic benchmark's judges in the protocols: AKD by the landmark oracle counts the landmarks
// meta.json marks visible in the real frame; FD-synth is the Frechet distance of the identity
// oracle's features; the animation protocol is animate() from the source video's frame 0 and its
// seeded references with relative motion; CSIM pools every generated frame against the source;
// --face-api swaps in face-api's AKD and CSIM; frames reach the oracles at 64 px.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import * as torch from "../src/torch/index.js";
import type { Tensor } from "../src/torch/index.js";
import { DiME } from "../src/dime/dime.js";
import { listVideos, type VideoEntry } from "../src/data/layout.js";
import { animatePair, videoFrame } from "../src/eval/animation.js";
import { loadJudges, toOracleSize, type Judges } from "../src/eval/detectors.js";
import { evaluateAnimation } from "../src/eval/evaluate-animation.js";
import { evaluateReconstruction } from "../src/eval/evaluate-reconstruction.js";
import { featureStats, frechetDistance } from "../src/eval/metrics/index.js";
import { loadMetricNetworks, type MetricNetworks } from "../src/eval/networks.js";
import { animationPairs, videoIdentities } from "../src/eval/pairs.js";
import { reconstructVideo, referenceFrames } from "../src/eval/reconstruction.js";
import { datasetKind, readEvalMeta, type EvalMeta } from "../src/eval/video-meta.js";
import { animate } from "../src/infer/animate.js";
import { readAllFrames } from "../src/media/video-read.js";
import { generateDataset } from "../src/synth/generate.js";
import { tinyDimeParams } from "./helpers/model-fixtures.js";
import { configFor } from "./infer-fixtures.js";
import { SLOW } from "./helpers/tier.js";

const SIZE = { width: 64, height: 64 };
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const close = (a: number, b: number, what: string) =>
  assert.ok(Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b} by hand`);

/** The Frechet distance of two lists of feature batches, from featureStats of the whole sets. */
function distance(real: Tensor[], generated: Tensor[]): number {
  return torch.tidy(() => {
    const [a, b] = [featureStats(torch.cat(real, 0)), featureStats(torch.cat(generated, 0))];
    return frechetDistance(a.mu, a.sigma, b.mu, b.sigma);
  });
}

describe("synthetic data", SLOW, () => {
  let dir: string;
  let model: DiME;
  let videos: VideoEntry[];
  let metas: (EvalMeta | undefined)[];
  let judges: Judges;
  let networks: MetricNetworks;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "dime-eval-synth-"));
    await generateDataset({
      kind: "faces",
      out: join(dir, "data"),
      videos: 8,
      frames: 6,
      size: 64,
      seed: 11,
      testFraction: 0.5,
      samples: 1,
    });
    videos = await listVideos(join(dir, "data"), "test");
    metas = videos.map(readEvalMeta);
    torch.manualSeed(5);
    model = new DiME(configFor(tinyDimeParams({ num_refs: 1 })).model_params).eval();
    judges = loadJudges({ kind: datasetKind(videos, metas) });
    networks = loadMetricNetworks({});
  });
  after(() => {
    model.dispose();
    judges.dispose();
    networks.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  test("the split is synthetic faces with 2 identities; 4 test videos", () => {
    assert.equal(datasetKind(videos, metas), "faces");
    assert.equal(videos.length, 4);
    assert.equal(new Set(videoIdentities(videos, metas)).size, 2);
  });

  test("reconstruction: AKD over the landmarks visible in the real frame (meta.json), FD-synth of the oracle's features", async () => {
    const suite = { networks, judges, kind: "faces" };
    const result = await evaluateReconstruction(model, videos, metas, SIZE, suite, { refs: 1, batch: 4 });
    assert.deepEqual(Object.keys(result.metrics), ["l1", "lpips", "psnr", "ssim", "msSsim", "sharpness", "akd", "fid", "fdSynth"]);
    const akds: number[] = [];
    const [real, generated]: Tensor[][] = [[], []];
    let hidden = 0;
    for (const [v, video] of videos.entries()) {
      for await (const part of reconstructVideo(model, video, SIZE, { refs: 1, batch: 4 })) {
        torch.tidy(() => {
          const count = part.driving.size(0);
          const visible = metas[v]!.visible.slice(part.start, part.start + count);
          hidden += visible.flat().filter((x) => x === 0).length;
          const [fake, truth] = [judges.akd!.detect(part.prediction), judges.akd!.detect(part.driving)]; // (B, K, 2) in [-1, 1]
          const pixels = fake.sub(truth).mul(31.5).square().sum(2).sqrt().toArray(); // (64 - 1) / 2 px per unit
          const k = visible[0].length;
          for (let b = 0; b < count; b++) {
            const counted = visible[b].flatMap((seen, i) => (seen ? [pixels[b * k + i]] : []));
            akds.push(mean(counted));
          }
          real.push(torch.keep(judges.fdSynth!.embed(part.driving)));
          generated.push(torch.keep(judges.fdSynth!.embed(part.prediction)));
        });
      }
    }
    assert.ok(hidden > 0, "some landmark is hidden somewhere, so the visibility matters");
    close(result.metrics.akd!.value!, mean(akds), "AKD");
    assert.equal(result.metrics.akd!.frames, 24);
    close(result.metrics.fdSynth!.value!, distance(real, generated), "FD-synth");
    assert.deepEqual([result.metrics.fdSynth!.frames, result.metrics.fdSynth!.realFrames], [24, 24]);
    torch.dispose([real, generated]);
  });

  test("animation: animate() from the source's frame 0 and seeded references, relative motion; CSIM and FD-synth by hand", async () => {
    const identities = videoIdentities(videos, metas);
    const pairs = animationPairs(identities, 2, 4);
    const [first] = pairs;
    const [source, driving] = [videos[first.source], videos[first.driving]];
    // The protocol is animate() itself with these inputs.
    const refs = referenceFrames(source.name, source.frameCount, 1, 0);
    const expected: number[][] = [];
    const drivingFrames = (await readAllFrames(driving.path)).slice(0, 3);
    for await (const frame of animate({
      model,
      size: SIZE,
      source: await videoFrame(source, 0, SIZE),
      references: [await videoFrame(source, refs[0], SIZE)],
      driving: drivingFrames,
    }))
      expected.push([...frame.image.data]);
    let index = 0;
    for await (const part of animatePair(model, source, driving, SIZE, { refs: 1, frames: 3, batch: 2 })) {
      torch.tidy(() => {
        for (const frame of part.prediction.unbind(0)) {
          const worst = Math.max(
            ...frame
              .flatten()
              .toArray()
              .map((x, i) => Math.abs(x - expected[index][i])),
          );
          assert.ok(worst < 1e-5, `frame ${index}: off by ${worst}`);
          index++;
        }
      });
    }
    assert.equal(index, 3);

    const result = await evaluateAnimation(
      model,
      videos,
      pairs,
      SIZE,
      { networks, judges, kind: "faces" },
      { refs: 1, frames: 3, batch: 2 },
    );
    assert.deepEqual(Object.keys(result.metrics), ["fid", "csim", "fdSynth"]);
    assert.equal(result.frames, 6);
    const csims: number[] = [];
    const [real, generated]: Tensor[][] = [[], []];
    for (const pair of pairs) {
      const [s, d] = [videos[pair.source], videos[pair.driving]];
      for await (const part of animatePair(model, s, d, SIZE, { refs: 1, frames: 3, batch: 2 })) {
        torch.tidy(() => {
          const embedding = judges.csim!.embed(part.prediction); // (B, D) unit vectors
          csims.push(...embedding.mul(judges.csim!.embed(part.source)).sum(1).toArray());
          generated.push(torch.keep(judges.fdSynth!.embed(part.prediction)));
        });
      }
      const sourceFrames = (await readAllFrames(s.path)).slice(0, 3);
      torch.tidy(() =>
        real.push(torch.keep(judges.fdSynth!.embed(torch.stack(sourceFrames.map((f) => torch.fromArray(f.data, [3, 64, 64])))))),
      );
    }
    close(result.metrics.csim!.value!, mean(csims), "CSIM");
    close(result.metrics.fdSynth!.value!, distance(real, generated), "FD-synth");
    assert.deepEqual(
      result.parts.map((p) => p.name),
      pairs.map((p) => `${videos[p.source].name} <- ${videos[p.driving].name}`),
    );
    torch.dispose([real, generated]);
  });

  test("--face-api takes AKD (68 points in pixels, all counted) and CSIM (128-d) from face-api; FD-synth stays the oracle's", () => {
    const faces = loadJudges({ kind: "faces", faceApi: true });
    try {
      assert.deepEqual([faces.akd!.coords, faces.akd!.groundTruthVisibility], ["pixels", false]);
      assert.match(faces.akd!.describe, /face-api\.js FaceLandmark68Net/);
      assert.match(faces.fdSynth!.describe, /identity oracle of the faces oracles/);
      torch.tidy(() => {
        const frames = torch.rand([2, 3, 64, 64], { generator: new torch.Generator(3) });
        assert.deepEqual(faces.akd!.detect(frames).shape, [2, 68, 2]);
        assert.deepEqual(faces.csim!.embed(frames).shape, [2, 128]);
      });
    } finally {
      faces.dispose();
    }
  });

  test("frames for the oracles: 64 px as they are, multiples of 64 average-pooled, other sizes resized", () => {
    torch.tidy(() => {
      const frames = torch.rand([1, 3, 128, 192], { generator: new torch.Generator(4) });
      const small = toOracleSize(frames);
      assert.deepEqual(small.shape, [1, 3, 64, 64]);
      const block = frames.narrow(2, 2, 2).narrow(3, 3, 3).mean([2, 3]); // output pixel (1, 1): rows 2-3, columns 3-5
      assert.ok(small.select(2, 1).select(2, 1).sub(block).abs().amax().item() < 1e-6);
      const same = torch.rand([1, 3, 64, 64]);
      assert.equal(toOracleSize(same), same);
      assert.deepEqual(toOracleSize(torch.rand([2, 3, 80, 80])).shape, [2, 3, 64, 64]);
    });
  });
});
