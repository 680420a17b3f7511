// `dime eval` end to end on a tiny synthetic set with two tiny random checkpoints: the JSON and the
// markdown hold one row per checkpoint and the task's columns (FD-synth on synthetic data), LPIPS
// with a given backbone file, FID unavailable without one; the animation task draws its pairs of
// different identities; every bad input is one line, exit 1, no output file.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import { main } from "../src/cli/main.js";
import { generateDataset } from "../src/synth/generate.js";
import { writeRandomLpips } from "../src/bench/metric-weights.js";
import { tinyDimeParams } from "./helpers/model-fixtures.js";
import { runDime } from "./helpers/train-fixtures.js";
import { configFor, faceFrames, writeCheckpoint, writeFrames } from "./infer-fixtures.js";
import { SLOW } from "./helpers/tier.js";

interface Report {
  task: string;
  columns: { key: string; heading: string }[];
  rows: {
    name: string;
    refs: number;
    frames: number;
    metrics: Record<string, { value: number | null; unavailable?: string; frames?: number }>;
  }[];
  animation?: { pairs: { source: string; driving: string }[] };
  dataset: { kind: string | null; videos: number; identities: number };
}

/** Runs `dime ARGS` in this process: exit code, and what went to stderr. */
async function runHere(args: string[]): Promise<{ code: number; stderr: string }> {
  const lines: string[] = [];
  const original = console.error;
  console.error = (...parts: unknown[]) => void lines.push(parts.join(" "));
  const saved = process.exitCode;
  try {
    await main(args);
    return { code: Number(process.exitCode ?? 0), stderr: lines.join("\n") };
  } finally {
    console.error = original;
    process.exitCode = saved;
  }
}

describe("dime eval", SLOW, () => {
  let dir: string;
  let data: string;
  let checkpoints: string[];
  let lpips: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "dime-eval-cli-"));
    data = join(dir, "data");
    await generateDataset({ kind: "faces", out: data, videos: 8, frames: 4, size: 64, seed: 21, testFraction: 0.5, samples: 1 });
    const config = configFor(tinyDimeParams({ num_refs: 1 }));
    checkpoints = [writeCheckpoint(dir, "first", config, 3), writeCheckpoint(dir, "second", config, 4)];
    lpips = writeRandomLpips(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("reconstruction, two checkpoints: JSON and markdown with a row each and the paper's columns", () => {
    const [json, md] = [join(dir, "rec.json"), join(dir, "rec.md")];
    const run = runDime([
      "eval",
      "--checkpoint",
      checkpoints[0],
      "--checkpoint",
      checkpoints[1],
      "--name",
      "A",
      "--name",
      "B",
      "--data",
      data,
      "--task",
      "reconstruction",
      "--lpips-backbone",
      lpips,
      "--json",
      json,
      "--markdown",
      md,
      "--threads",
      "1",
      "--refs",
      "1,0",
    ]);
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(readFileSync(json, "utf8")) as Report;
    assert.deepEqual(
      report.columns.map((c) => c.heading),
      ["L1 ↓", "LPIPS ↓", "PSNR ↑", "SSIM ↑", "MS-SSIM ↑", "Sharpness ↑", "AKD ↓", "FID ↓", "FD-synth ↓"],
    );
    assert.deepEqual(
      report.rows.map((r) => [r.name, r.refs, r.frames]),
      [
        ["A", 1, 16],
        ["B", 0, 16],
      ],
    );
    assert.deepEqual([report.dataset.kind, report.dataset.videos, report.dataset.identities], ["faces", 4, 2]);
    for (const row of report.rows) {
      for (const key of ["l1", "lpips", "psnr", "ssim", "msSsim", "sharpness", "akd", "fdSynth"]) {
        const value = row.metrics[key].value;
        assert.ok(typeof value === "number" && Number.isFinite(value), `${row.name} ${key}: ${value}`);
      }
      assert.ok(row.metrics.l1.value! > 0 && row.metrics.l1.value! < 1);
      assert.equal(row.metrics.l1.frames, 16);
      assert.equal(row.metrics.fid.value, null);
      assert.match(row.metrics.fid.unavailable!, /no Inception weights given/);
    }
    assert.notEqual(report.rows[0].metrics.l1.value, report.rows[1].metrics.l1.value);
    const lines = readFileSync(md, "utf8").split("\n");
    const header = lines.findIndex((l) => l.startsWith("| model |"));
    assert.equal(lines[header], "| model | L1 ↓ | LPIPS ↓ | PSNR ↑ | SSIM ↑ | MS-SSIM ↑ | Sharpness ↑ | AKD ↓ | FID ↓ | FD-synth ↓ |");
    const rows = lines.slice(header + 2, header + 4);
    assert.deepEqual(
      rows.map((r) => r.split("|")[1].trim()),
      ["A", "B"],
    );
    for (const [c, key] of ["l1", "lpips", "psnr", "ssim", "msSsim", "sharpness", "akd"].entries()) {
      const cells = rows.map((r) => r.split("|")[c + 2].trim());
      assert.equal(cells.filter((cell) => cell.startsWith("**")).length, 1, `one best ${key}: ${cells}`);
    }
    assert.ok(rows.every((r) => r.split("|")[9].trim() === "unavailable"));
    assert.ok(lines.some((l) => l.startsWith("- FID unavailable: no Inception weights given")));
    assert.match(run.stdout, /^model\s+L1 ↓\s+LPIPS ↓/m);
    assert.match(run.stdout, /^A\s+0\.\d{4}\s+0\.\d{4}/m);
  });

  test("animation: pairs of different identities, FID, CSIM and FD-synth columns", () => {
    const json = join(dir, "anim.json");
    const run = runDime([
      "eval",
      "--checkpoint",
      checkpoints[0],
      "--data",
      data,
      "--task",
      "animation",
      "--pairs",
      "3",
      "--driving-frames",
      "2",
      "--json",
      json,
      "--threads",
      "1",
    ]);
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(readFileSync(json, "utf8")) as Report;
    assert.deepEqual(
      report.columns.map((c) => c.key),
      ["fid", "csim", "fdSynth"],
    );
    assert.equal(report.animation!.pairs.length, 3);
    for (const p of report.animation!.pairs) assert.notEqual(p.source.split("#")[0], p.driving.split("#")[0]);
    assert.deepEqual(
      report.rows.map((r) => [r.name, r.frames]),
      [["first", 6]],
    );
    const { csim } = report.rows[0].metrics;
    assert.ok(csim.value! > -1 && csim.value! <= 1 && csim.frames === 6, JSON.stringify(csim));
  });

  test("bad input: one line, exit 1, nothing written", async () => {
    const json = join(dir, "bad.json");
    const oneId = join(dir, "one-identity");
    mkdirSync(join(oneId, "test"), { recursive: true });
    for (const name of ["solo#00", "solo#01"]) await writeFrames(join(oneId, "test", name), faceFrames(3, 9), 25);
    const base = ["eval", "--data", data, "--json", json];
    const cases: [string[], RegExp][] = [
      [["eval", "--data", data, "--task", "reconstruction"], /--checkpoint CKPT is required/],
      [
        [...base, "--checkpoint", join(dir, "missing.safetensors"), "--task", "reconstruction"],
        /missing\.safetensors: no such file or folder/,
      ],
      [[...base, "--checkpoint", checkpoints[0], "--task", "recon"], /--task must be reconstruction or animation, got 'recon'/],
      [[...base, "--checkpoint", checkpoints[0]], /--task reconstruction\|animation is required/],
      [
        ["eval", "--data", join(dir, "nowhere"), "--checkpoint", checkpoints[0], "--task", "reconstruction"],
        /nowhere\/test.*no 'test' folder/,
      ],
      [[...base, "--checkpoint", checkpoints[0], "--task", "reconstruction", "--refs", "1,2"], /--refs gives 2 counts for 1 --checkpoint/],
      [[...base, "--checkpoint", checkpoints[0], "--task", "reconstruction", "--refs", "x"], /--refs must be an integer in 0\.\.64/],
      [[...base, "--checkpoint", checkpoints[0], "--task", "reconstruction", "--pairs", "5"], /--pairs applies to --task animation only/],
      [
        [...base, "--checkpoint", checkpoints[0], "--task", "reconstruction", "--name", "a", "--name", "b"],
        /--name given 2 times for 1 --checkpoint/,
      ],
      [[...base, "--checkpoint", checkpoints[0], "--task", "reconstruction", "--lpips-net", "squeeze"], /--lpips-net must be alex or vgg/],
      [
        [
          "eval",
          "--data",
          data,
          "--checkpoint",
          checkpoints[0],
          "--task",
          "reconstruction",
          "--json",
          join(dir, "no-such-folder", "r.json"),
        ],
        /no-such-folder.*does not exist/,
      ],
      [["eval", "--data", oneId, "--checkpoint", checkpoints[0], "--task", "animation", "--json", json], /at least two identities/],
    ];
    for (const [args, pattern] of cases) {
      const run = await runHere(args);
      assert.equal(run.code, 1, `${args.join(" ")}: ${run.stderr}`);
      assert.match(run.stderr, pattern);
      assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
      assert.equal(existsSync(json), false, args.join(" "));
    }
  });
});
