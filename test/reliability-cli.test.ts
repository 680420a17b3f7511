// What the commands promise when things go wrong (docs/reliability.md), end to end: an output that
// is one of the inputs is refused before any work; a variable-frame-rate driving clip with audio
// keeps its timing; a full disk is one line naming the user's file; a flipped byte in a
// checkpoint's tensor data is caught by its checksum; the messages name the file once.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";

import { benchChecksum, formatChecksumBench } from "../src/bench/checksum.js";
import { sha256OfFile } from "../src/checkpoint/files.js";
import { loadCheckpoint } from "../src/checkpoint/index.js";
import { configToYaml } from "../src/dime/config/file.js";
import { inspectSafetensors } from "../src/io/safetensors.js";
import { writeImage } from "../src/media/image-write.js";
import { probeMedia } from "../src/media/probe.js";
import { UsageError, type Command } from "../src/cli/command.js";
import { animateCommand } from "../src/cli/commands/animate.js";
import { evalCommand } from "../src/cli/commands/eval.js";
import { recalibrateCommand } from "../src/cli/commands/recalibrate.js";
import { reconstructCommand } from "../src/cli/commands/reconstruct.js";
import { trainCommand } from "../src/cli/commands/train.js";
import { mountTinyDisk } from "./helpers/full-disk.js";
import { tinyDimeParams } from "./helpers/model-fixtures.js";
import { runDime } from "./helpers/train-fixtures.js";
import { configFor, faceFrames, writeCheckpoint, writeFrames } from "./infer-fixtures.js";
import { frameTimes, makeVfrClip } from "./helpers/vfr-clip.js";
import { SLOW } from "./helpers/tier.js";

const dir = mkdtempSync(join(tmpdir(), "dime-reliability-cli-"));
const config = configFor(tinyDimeParams({ num_refs: 1 }));
const run = join(dir, "run", "checkpoints");
mkdirSync(run, { recursive: true });
const checkpoint = writeCheckpoint(run, "step-000000", config);
const sidecar = join(run, "step-000000.json");
const configFile = join(dir, "config.yaml");
writeFileSync(configFile, configToYaml(config));
const source = join(dir, "source.png");
const reference = join(dir, "ref.png");
const driving = join(dir, "driving.mp4");
const ready = (async () => {
  const frames = faceFrames(4, 2);
  await writeImage(source, frames[0]);
  await writeImage(reference, frames[1]);
  await writeFrames(driving, faceFrames(4, 1), 10);
})();
after(async () => {
  await ready;
  rmSync(dir, { recursive: true, force: true });
});

function animate(out: string, extra: string[] = [], ckpt = checkpoint) {
  return runDime(["animate", "--checkpoint", ckpt, "--source", source, "--ref", reference, "--driving", driving, "-o", out, ...extra]);
}

/** Exit 1, exactly one line on stderr, matching `why`. */
function oneLine(result: ReturnType<typeof runDime>, why: RegExp, what: string): void {
  assert.equal(result.status, 1, `${what}: exit ${result.status}\n${result.stderr}`);
  const lines = result.stderr.trim().split("\n");
  assert.equal(lines.length, 1, `${what}: one line\n${result.stderr}`);
  assert.match(lines[0], why, what);
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

describe("an output that is an input", SLOW, () => {
  test("animate: -o equal to, a symlink to or a hard link of each input is refused, the input untouched", async () => {
    await ready;
    const linked = join(dir, "linked.mp4");
    symlinkSync(driving, linked);
    const hard = join(dir, "hard.png");
    linkSync(source, hard);
    const cases: [string, string, string][] = [
      ["--source", source, source],
      ["--ref", reference, reference],
      ["--driving", driving, driving],
      ["--checkpoint", checkpoint, checkpoint],
      ["--checkpoint (sidecar)", sidecar, sidecar],
      ["--config", configFile, configFile],
      ["--driving", linked, driving],
      ["--source", hard, source],
    ];
    // In process, for speed: the refusal comes before any work.
    const refused = (args: string[], why: RegExp) =>
      assert.rejects(
        () => animateCommand.run(args),
        (e: Error) => e instanceof UsageError && why.test(e.message),
      );
    const args = (out: string, extra: string[] = [], ckpt = checkpoint) => [
      "--checkpoint",
      ckpt,
      "--source",
      source,
      "--ref",
      reference,
      "--driving",
      driving,
      "-o",
      out,
      ...extra,
    ];
    for (const [flag, out, input] of cases) {
      const before = readFileSync(input);
      const extra = flag === "--config" ? ["--config", configFile] : [];
      await refused(
        args(out, extra),
        new RegExp(
          `^-o ${escapeRegExp(out)}.* is the same file as ${escapeRegExp(flag)} .*: writing it would destroy that input; choose another output$`,
        ),
      );
      assert.deepEqual(readFileSync(input), before, `${input} untouched`);
    }
    // A run folder's latest checkpoint is an input too.
    await refused(args(checkpoint, [], join(dir, "run")), /^-o .*step-000000\.safetensors is the same file as --checkpoint \(weights\)/);
    await refused(
      args(join(dir, "o.mp4"), ["--visualize-out", join(dir, "o.mp4")]),
      /^--visualize-out .*o\.mp4 is the same file as -o .*two outputs cannot share a file/,
    );
    // From the command line: exit 1 and that one line.
    oneLine(
      animate(driving),
      new RegExp(
        `^dime animate: -o ${escapeRegExp(driving)} is the same file as --driving ${escapeRegExp(driving)}: writing it would destroy that input; choose another output$`,
      ),
      "cli",
    );
  });

  test("train, reconstruct, recalibrate and eval refuse an output that is an input", async () => {
    await ready;
    const data = join(dir, "data");
    mkdirSync(join(data, "test"), { recursive: true });
    mkdirSync(join(data, "train"), { recursive: true });
    const refused = (command: Command, args: string[], why: RegExp) =>
      assert.rejects(
        () => command.run(args),
        (e: Error) => e instanceof UsageError && why.test(e.message),
      );
    await refused(trainCommand, ["--config", configFile, "--data", data, "--out", data], /^--out .*data is the same file as --data/);
    await refused(
      trainCommand,
      ["--config", configFile, "--data", data, "--out", join(dir, "run"), "--init", join(dir, "run")],
      /^--out .*run is the same file as --init /,
    );
    await refused(
      reconstructCommand,
      ["--checkpoint", checkpoint, "--data", data, "--out", join(data, "test")],
      /^--out .*test is the same file as --data \(test\/\)/,
    );
    await refused(recalibrateCommand, ["--checkpoint", checkpoint, "--data", data, "--out", data], /^--out .* is the same file as --data/);
    const before = readFileSync(sidecar);
    await refused(
      evalCommand,
      ["--checkpoint", checkpoint, "--data", data, "--task", "reconstruction", "--json", sidecar],
      /^--json .*step-000000\.json is the same file as --checkpoint \(sidecar\)/,
    );
    assert.deepEqual(readFileSync(sidecar), before);
  });
});

test("a variable-frame-rate driving clip with audio: each frame at its time, the sound beside it", SLOW, async () => {
  await ready;
  const clip = join(dir, "phone.mp4");
  makeVfrClip(clip);
  const probe = runDime(["probe", clip]);
  assert.match(probe.stdout, /variable frame rate \([\d.]+ to 30 fps/);
  const out = join(dir, "vfr-out.mp4");
  const result = runDime(["animate", "--checkpoint", checkpoint, "--source", source, "--driving", clip, "--audio", "-o", out]);
  assert.equal(result.status, 0, result.stderr);
  assert.match(
    result.stdout,
    /60 frames .*the driving clip has a variable frame rate: \d+ frames at a constant 30 fps keep each frame at its time/,
  );
  const input = (await probeMedia(clip)).variableRate!;
  const output = await probeMedia(out);
  const times = frameTimes(out);
  // Every input frame's time is the start of an output frame, to half a frame at 30 fps.
  for (const t of input.timestamps)
    assert.ok(
      times.some((time) => Math.abs(time - t) <= 1 / 60 + 1e-6),
      `no output frame starts near ${t.toFixed(3)} s`,
    );
  assert.ok(Math.abs(output.duration - input.end) <= 1 / 30 + 1e-6, `picture ${output.duration} s, input ${input.end} s`);
  assert.equal(output.audio, "aac");
  const audio = Number(
    execFileSync("ffprobe", ["-v", "error", "-select_streams", "a:0", "-show_entries", "stream=duration", "-of", "csv=p=0", out], {
      encoding: "utf8",
    }),
  );
  assert.ok(Math.abs(audio - output.duration) < 0.05, `sound ${audio} s, picture ${output.duration} s`);
});

describe("a full disk", SLOW, () => {
  const disk = mountTinyDisk();
  after(() => typeof disk !== "string" && disk.unmount());
  test("animate: one line naming OUT, the previous OUT kept, no temporary file", {
    skip: typeof disk === "string" ? disk : false,
  }, async () => {
    if (typeof disk === "string") return;
    await ready;
    const long = join(dir, "long.mp4");
    await writeFrames(long, faceFrames(40, 5), 10);
    const out = join(disk.dir, "out.webm");
    writeFileSync(out, "the user's earlier video");
    disk.fill(0);
    const result = runDime(["animate", "--checkpoint", checkpoint, "--source", source, "--driving", long, "-o", out]);
    oneLine(
      result,
      new RegExp(
        `^dime animate: cannot write ${escapeRegExp(out)}: the disk is full \\([\\d.]+ MB free\\): free some space or write elsewhere$`,
      ),
      "full disk",
    );
    assert.equal(readFileSync(out, "utf8"), "the user's earlier video");
    assert.deepEqual(readdirSync(disk.dir).sort(), [".filler", "out.webm"]);
  });
});

describe("checksums", SLOW, () => {
  test("a flipped byte in the tensor data is caught; a checkpoint without a checksum loads silently", async () => {
    await ready;
    const folder = join(dir, "sum");
    mkdirSync(folder);
    const weights = writeCheckpoint(folder, "step-000001", config);
    const side = join(folder, "step-000001.json");
    const silent = animate(join(dir, "no-sum.mp4"), [], weights);
    assert.equal(silent.status, 0, silent.stderr);
    assert.equal(silent.stderr, "", "no warning for an old checkpoint");
    const meta = JSON.parse(readFileSync(side, "utf8"));
    meta.files.weights.sha256 = sha256OfFile(weights);
    writeFileSync(side, JSON.stringify(meta));
    loadCheckpoint(weights).model.dispose();
    const info = inspectSafetensors(weights);
    const bytes = readFileSync(weights);
    const at = 8 + info.headerLength + Math.floor((info.fileSize - 8 - info.headerLength) / 2);
    bytes[at] ^= 0x01;
    writeFileSync(weights, bytes);
    assert.throws(
      () => loadCheckpoint(weights),
      new RegExp(`^CheckpointError: ${escapeRegExp(weights)} is corrupted: its checksum does not match; use an earlier checkpoint$`),
    );
    oneLine(
      animate(join(dir, "bad-sum.mp4"), [], weights),
      new RegExp(`^dime animate: ${escapeRegExp(weights)} is corrupted: its checksum does not match; use an earlier checkpoint$`),
      "flipped byte",
    );
  });
});

test("the shipped demo model's sidecar records its checksum, and it loads checked", SLOW, () => {
  const demo = new URL("../models/demo", import.meta.url).pathname;
  const loaded = loadCheckpoint(demo);
  loaded.model.dispose();
  assert.equal(loaded.sidecar.files.weights.sha256, sha256OfFile(loaded.path));
});

test("dime bench checksum: load with and without the check, and hashing alone, for both files", SLOW, () => {
  const result = benchChecksum({
    demo: new URL("../models/demo/step-004000.safetensors", import.meta.url).pathname,
    megabytes: 4,
    runs: 1,
  });
  assert.deepEqual(
    result.cases.map((c) => c.name),
    ["demo model", "4 MB checkpoint"],
  );
  for (const c of result.cases)
    assert.ok(
      c.load.medianMs > 0 &&
        c.loadChecked.medianMs > 0 &&
        c.hashMBps > 0 &&
        Math.abs(c.megabytes - (c.name.startsWith("4") ? 4.2 : 4.3)) < 0.2,
      JSON.stringify(c),
    );
  assert.match(formatChecksumBench(result), /4 MB checkpoint +4\.2 /);
});

describe("messages", SLOW, () => {
  // biome-ignore lint/suspicious/noExplicitAny: a sidecar edited freely, to make it wrong in each way
  function variant(name: string, edit: (sidecar: Record<string, any>) => void, bytes?: (b: Buffer) => void): string {
    const weights = join(dir, `${name}.safetensors`);
    copyFileSync(checkpoint, weights);
    if (bytes) {
      const b = readFileSync(weights);
      bytes(b);
      writeFileSync(weights, b);
    }
    const meta = JSON.parse(readFileSync(sidecar, "utf8"));
    meta.files.weights.name = `${name}.safetensors`;
    edit(meta);
    writeFileSync(join(dir, `${name}.json`), JSON.stringify(meta));
    return weights;
  }

  test("a sidecar without a config, an oversized frame_shape, a damaged safetensors header: the file named once", async () => {
    await ready;
    const noConfig = variant("no-config", (s) => delete s.config);
    oneLine(
      animate(join(dir, "m1.mp4"), [], noConfig),
      /^dime animate: .*no-config\.json: the sidecar holds no config, so the model it describes is unknown/,
      "no config",
    );
    const huge = variant("huge", (s) => (s.config.dataset_params.frame_shape = [100000, 100000, 3]));
    oneLine(
      animate(join(dir, "m2.mp4"), [], huge),
      /^dime animate: .*huge\.json: dataset_params\.frame_shape \[100000, 100000\] cannot be animated at/,
      "frame_shape",
    );
    const header = variant(
      "header",
      () => undefined,
      (b) => (b[3] = 0x7f),
    );
    const result = animate(join(dir, "m3.mp4"), [], header);
    oneLine(result, /^dime animate: .*header\.safetensors: header length \d+ is larger than the file/, "header");
    assert.equal(result.stderr.split(header).length, 2, `the path once: ${result.stderr}`);
    assert.equal(readdirSync(dir).filter((n) => /^m\d\.mp4$/.test(n)).length, 0);
  });
});
