// `dime animate` end to end on a tiny random-weight checkpoint: the output keeps the driving clip's
// frame count and fps for 0, 1 and 3 references, the side-by-side view and the audio come along,
// a still of the source animates to identical frames, and every bad input is one line on stderr,
// a non-zero exit and no output file (not even a partial one).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";

import { configToYaml } from "../src/dime/config/file.js";
import { writeImage } from "../src/media/image-write.js";
import { probeMedia } from "../src/media/probe.js";
import { readAllFrames } from "../src/media/video-read.js";
import { tinyDimeParams } from "./helpers/model-fixtures.js";
import { runDime, withReadOnlyFolder } from "./helpers/train-fixtures.js";
import { configFor, faceFrames, SIZE, writeCheckpoint, writeFrames } from "./infer-fixtures.js";
import { SLOW } from "./helpers/tier.js";
import { autoBatch } from "../src/infer/batch-size.js";

const dir = mkdtempSync(join(tmpdir(), "dime-animate-"));
const config = configFor(tinyDimeParams({ num_refs: 1 }));
const checkpoint = writeCheckpoint(dir, "ckpt", config);
const drivingClip = join(dir, "driving.mp4");
const views = faceFrames(4, 9).map((_, i) => join(dir, `view${i}.png`));
const source = views[0];

const ready = (async () => {
  await writeFrames(drivingClip, faceFrames(6, 1), 12);
  const frames = faceFrames(4, 9);
  for (let i = 0; i < views.length; i++) await writeImage(views[i], frames[i]);
})();

function animateArgs(out: string, extra: string[] = []): string[] {
  return ["animate", "--checkpoint", checkpoint, "--source", source, "--driving", drivingClip, "-o", out, ...extra];
}

describe("outputs", SLOW, () => {
  for (const refs of [0, 1, 3]) {
    test(`${refs} references: the driving clip's frame count and fps`, async () => {
      await ready;
      const out = join(dir, `out-${refs}.mp4`);
      const refArgs = views.slice(1, 1 + refs).flatMap((v) => ["--ref", v]);
      const run = runDime(animateArgs(out, [...refArgs, ...(refs === 3 ? ["--visualize"] : [])]));
      assert.equal(run.status, 0, run.stderr);
      const info = await probeMedia(out);
      assert.deepEqual([info.frameCount, info.fps, info.width, info.height], [6, 12, SIZE, SIZE]);
      assert.match(
        run.stdout,
        new RegExp(
          `${out}: 6 frames 64x64 at 12 fps in [0-9.]+ s \\([0-9.]+ frames/s, batch ${autoBatch({ width: SIZE, height: SIZE }, "cpu")}\\)`,
        ),
      );
      if (refs === 3) {
        const side = await probeMedia(join(dir, "out-3-visualize.mp4"));
        assert.deepEqual([side.frameCount, side.fps, side.width, side.height], [6, 12, 3 * SIZE, SIZE], "source | driving | output");
      }
    });
  }

  test("relative motion with a still of the source: every frame is the same picture", async () => {
    await ready;
    const still = join(dir, "still");
    const picture = (await readAllFrames(source))[0];
    await writeFrames(
      still,
      Array.from({ length: 5 }, () => picture),
      10,
    );
    const out = join(dir, "still-out/");
    const run = runDime(animateArgs(out, ["--driving", still, "--batch", "2", "--find-best-frame", "--adapt-scale"]));
    assert.equal(run.status, 0, run.stderr);
    const files = readdirSync(out).sort();
    assert.equal(files.length, 5);
    const first = readFileSync(join(out, files[0]));
    for (const f of files) assert.ok(readFileSync(join(out, f)).equals(first), `${f} equals ${files[0]}`);
  });

  test("--audio copies the driving clip's audio track; --ode-steps and --absolute run", async () => {
    await ready;
    const withAudio = join(dir, "with-audio.mp4");
    execFileSync("ffmpeg", [
      "-v",
      "error",
      "-i",
      drivingClip,
      "-f",
      "lavfi",
      "-i",
      "sine=frequency=440:duration=0.5",
      "-c:v",
      "copy",
      "-c:a",
      "aac",
      "-shortest",
      withAudio,
    ]);
    const out = join(dir, "audio-out.mp4");
    const run = runDime(animateArgs(out, ["--driving", withAudio, "--audio", "--ode-steps", "1", "--absolute"]));
    assert.equal(run.status, 0, run.stderr);
    const info = await probeMedia(out);
    assert.equal(info.audio, "aac");
    assert.equal(info.frameCount, 6);
  });
});

describe("bad input: one line, a non-zero exit, no output file", SLOW, () => {
  /** Runs animate with `args` over the good ones; the one stderr line names `file` and matches `why`. */
  async function refuses(what: string, args: string[], file: string, why: RegExp, outFolder?: string) {
    await ready;
    let folder = outFolder;
    if (!folder) {
      folder = join(dir, `bad-${what.replace(/\W+/g, "-")}`);
      mkdirSync(folder);
    }
    const run = runDime(animateArgs(join(folder, "out.mp4"), args));
    assert.equal(run.status, 1, `${what}: exit ${run.status}\n${run.stderr}`);
    const lines = run.stderr.trim().split("\n");
    assert.equal(lines.length, 1, `${what}: one line\n${run.stderr}`);
    assert.ok(lines[0].startsWith(`dime animate: ${file}`), `${what}: names ${file}: ${lines[0]}`);
    assert.match(lines[0], why, what);
    assert.deepEqual(readdirSync(folder), [], `${what}: nothing written`);
  }

  test("a missing checkpoint", async () => {
    const missing = join(dir, "nope.safetensors");
    await refuses("missing checkpoint", ["--checkpoint", missing], missing, /no such file or folder: give a checkpoint/);
  });

  test("a --config that describes another model than the checkpoint", async () => {
    const other = join(dir, "other.yaml");
    const params = tinyDimeParams({ num_refs: 1 });
    params.common_params.num_kp = 5;
    writeFileSync(other, configToYaml(configFor(params)));
    await refuses(
      "another config",
      ["--config", other],
      checkpoint,
      /checkpoint was trained with model_params\.common_params\.num_kp=4 but .*other\.yaml says 5/,
    );
  });

  test("a checkpoint whose weights do not fit its own sidecar's config", async () => {
    const params = tinyDimeParams({ num_refs: 1 });
    params.common_params.num_kp = 6;
    const mixed = writeCheckpoint(dir, "mixed", configFor(params));
    const sidecar = join(dir, "mixed.json");
    writeFileSync(sidecar, JSON.stringify({ ...JSON.parse(readFileSync(sidecar, "utf8")), config }));
    await refuses(
      "weights from another run",
      ["--checkpoint", mixed],
      mixed,
      /the weights do not fit the model of the config saved with them \(mis-shaped keys: kp_detector\.kp\.weight/,
    );
  });

  test("a damaged sidecar", async () => {
    const damaged = writeCheckpoint(dir, "damaged", config);
    const sidecar = join(dir, "damaged.json");
    writeFileSync(sidecar, readFileSync(sidecar, "utf8").slice(0, 100));
    await refuses(
      "damaged sidecar",
      ["--checkpoint", damaged],
      sidecar,
      /the sidecar is not valid JSON \(damaged or cut short\); use an earlier checkpoint/,
    );
  });

  test("a source that is not an image", async () => {
    const text = join(dir, "notes.png");
    writeFileSync(text, "not a picture\n");
    await refuses("non-image source", ["--source", text], text, /is not an image dime can read/);
  });

  test("a driving video with no frames", async () => {
    const zero = join(dir, "zero-frames.mp4");
    execFileSync("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "color=s=32x32:r=10", "-frames:v", "0", "-pix_fmt", "yuv420p", zero]);
    await refuses("zero-frame driving", ["--driving", zero], zero, /has no video stream|video has no frames/);
  });

  test("an output folder that cannot be written", async () => {
    const locked = join(dir, "locked");
    mkdirSync(locked);
    await withReadOnlyFolder(locked, dir, () =>
      refuses("unwritable output folder", [], join(locked, "out.mp4"), /cannot write in folder .*locked \(EACCES\)/, locked),
    );
  });
});
