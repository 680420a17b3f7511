// The reconstruction protocol (src/eval/reconstruction.ts) and `dime reconstruct`: the reference
// frames are seeded, distinct and never frame 0; every frame is the model's forward pass with frame
// 0 as source, those references and the frame's own keypoints; the command writes one video per
// test video and the per-video L1 beside the source-frame baseline, and refuses bad input.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import * as torch from "../src/torch/index.js";
import { listVideos } from "../src/data/layout.js";
import { reconstructVideo, referenceFrames } from "../src/eval/reconstruction.js";
import { loadModel } from "../src/infer/model.js";
import { probeMedia } from "../src/media/probe.js";
import { readAllFrames } from "../src/media/video-read.js";
import { tinyDimeParams } from "./helpers/model-fixtures.js";
import { configFor, faceFrames, writeCheckpoint, writeFrames } from "./infer-fixtures.js";
import { runDime } from "./helpers/train-fixtures.js";
import { SLOW } from "./helpers/tier.js";

describe("reference frames", () => {
  test("seeded, distinct, in 1..T-1, sorted; another seed or video draws others", () => {
    const a = referenceFrames("id0001#00", 32, 3, 0);
    assert.deepEqual(referenceFrames("id0001#00", 32, 3, 0), a);
    assert.equal(new Set(a).size, 3);
    assert.ok(
      a.every((i) => i >= 1 && i < 32),
      `${a}`,
    );
    assert.deepEqual(
      [...a].sort((x, y) => x - y),
      a,
    );
    const draws = new Set([0, 1, 2, 3, 4].map((seed) => referenceFrames("id0001#00", 32, 3, seed).join(",")));
    assert.ok(draws.size >= 4, `5 seeds gave only ${draws.size} different draws`);
    assert.notDeepEqual(referenceFrames("id0002#00", 32, 3, 0), a);
  });

  test("a short video gives every frame but the source; no references for 0", () => {
    assert.deepEqual(referenceFrames("v", 3, 5, 0), [1, 2]);
    assert.deepEqual(referenceFrames("v", 32, 0, 0), []);
    assert.deepEqual(referenceFrames("v", 1, 2, 0), []);
  });
});

describe("reconstruction", SLOW, () => {
  let dir: string;
  let checkpoint: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "dime-reconstruct-"));
    checkpoint = writeCheckpoint(dir, "model", configFor(tinyDimeParams({ num_refs: 2 })));
    for (const [split, videos] of [
      ["train", ["a"]],
      ["test", ["id0007#00", "id0009#01"]],
    ] as const) {
      mkdirSync(join(dir, "data", split), { recursive: true });
      for (const [i, name] of videos.entries()) await writeFrames(join(dir, "data", split, name), faceFrames(11 - 2 * i, 40 + i), 25);
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("every frame is the model driven by it, from frame 0 and the seeded references", async () => {
    const loaded = loadModel(checkpoint);
    const [video] = await listVideos(join(dir, "data"), "test");
    const frames = await readAllFrames(video.path);
    const image = (i: number) => torch.fromArray(frames[i].data, [1, 3, 64, 64]);
    const refs = referenceFrames(video.name, video.frameCount, 2, 5);
    let seen = 0;
    for await (const part of reconstructVideo(loaded.model, video, loaded.size, { refs: 2, seed: 5, batch: 4 })) {
      torch.tidy(() => {
        const count = part.driving.size(0);
        const driving = torch.cat(
          Array.from({ length: count }, (_, b) => image(part.start + b)),
          0,
        );
        assert.ok(part.driving.sub(driving).abs().amax().item() < 1e-6, "driving frames are the video's");
        const expected = torch.noGrad(
          () =>
            loaded.model.forward(
              image(0).expand(count, 3, 64, 64),
              driving,
              refs.map((r) => image(r).expand(count, 3, 64, 64)),
            ).prediction,
        );
        const worst = part.prediction.sub(expected).abs().amax().item();
        assert.ok(worst < 1e-4, `batch at ${part.start}: off by ${worst}`);
        seen += count;
      });
    }
    assert.equal(seen, video.frameCount);
    loaded.model.dispose();
  });

  test("dime reconstruct writes a video per test video and the per-video L1 with the source-frame baseline", async () => {
    const out = join(dir, "out");
    const run = runDime(["reconstruct", "--checkpoint", checkpoint, "--data", join(dir, "data"), "--out", out, "--refs", "1"]);
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(readFileSync(join(out, "reconstruction.json"), "utf8"));
    assert.deepEqual(
      report.videos.map((v: { name: string }) => v.name),
      ["id0007#00", "id0009#01"],
    );
    assert.deepEqual(
      report.videos.map((v: { frames: number }) => v.frames),
      [11, 9],
    );
    assert.equal(report.refs, 1);
    for (const v of report.videos) {
      assert.ok(v.l1 > 0 && v.l1 < 1 && v.l1Source > 0 && v.l1Source < 1, JSON.stringify(v));
      assert.equal(v.references.length, 1);
      const info = await probeMedia(join(out, `${v.name}.mp4`));
      assert.equal(info.frameCount, v.frames);
    }
    const weighted = (key: "l1" | "l1Source") => (report.videos[0][key] * 11 + report.videos[1][key] * 9) / 20;
    assert.ok(Math.abs(report.mean.l1 - weighted("l1")) < 1e-12);
    assert.ok(Math.abs(report.mean.l1Source - weighted("l1Source")) < 1e-12);
    assert.match(run.stdout, /L1 0\.\d{4} vs 0\.\d{4} for the source frame/);
  });

  test("bad input: one line, exit 1, nothing written", async () => {
    const cases: [string[], RegExp][] = [
      [["--checkpoint", join(dir, "missing.safetensors"), "--data", join(dir, "data")], /missing\.safetensors: no such file/],
      [["--checkpoint", checkpoint, "--data", join(dir, "nowhere")], /nowhere\/test.*no 'test' folder/],
      [["--checkpoint", checkpoint], /--data DIR is required/],
      [["--checkpoint", checkpoint, "--data", join(dir, "data"), "--split", "val"], /--split must be test or train/],
    ];
    for (const [args, pattern] of cases) {
      const out = join(dir, "bad-out");
      const run = runDime(["reconstruct", ...args, "--out", out]);
      assert.equal(run.status, 1, run.stderr);
      assert.match(run.stderr, pattern);
      assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
      assert.equal(existsSync(join(out, "reconstruction.json")), false);
    }
  });
});
