// `dime synth` is a pure function of its options: the same seed writes byte-identical files.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { test } from "node:test";

import { runDime } from "./helpers/cli.js";
import { SLOW } from "./helpers/tier.js";

const dir = mkdtempSync(join(tmpdir(), "dime-synth-"));

function dime(...args: string[]) {
  const run = runDime(args);
  assert.equal(run.status, 0, run.stderr);
  return run;
}

/** path -> sha256 of every file under `root`. */
function digest(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(root, p), createHash("sha256").update(readFileSync(p)).digest("hex"));
    }
  };
  walk(root);
  return out;
}

for (const kind of ["faces", "bodies", "shapes"]) {
  test(`dime synth --kind ${kind}: same seed, identical bytes; another seed, other bytes`, SLOW, () => {
    const args = ["synth", "--kind", kind, "--videos", "3", "--frames", "4", "--size", "32", "--test-fraction", "0.5"];
    dime(...args, "--seed", "7", "--out", join(dir, `${kind}-a`), "--preview", join(dir, `${kind}-a.png`));
    dime(...args, "--seed", "7", "--out", join(dir, `${kind}-b`), "--preview", join(dir, `${kind}-b.png`));
    dime(...args, "--seed", "8", "--out", join(dir, `${kind}-c`));
    const a = digest(join(dir, `${kind}-a`));
    const b = digest(join(dir, `${kind}-b`));
    const c = digest(join(dir, `${kind}-c`));
    // 2 identities: id0000 (2 videos) in train, id0001 (1 video) in test; 4 frames + meta.json each.
    assert.equal(a.size, 3 * 5 + 1, [...a.keys()].join(", "));
    assert.ok(a.has("train/id0000#00/000003.png") && a.has("test/id0001#00/meta.json"));
    assert.deepEqual(a, b);
    assert.deepEqual(readFileSync(join(dir, `${kind}-a.png`)), readFileSync(join(dir, `${kind}-b.png`)));
    assert.notEqual(a.get("train/id0000#00/000000.png"), c.get("train/id0000#00/000000.png"));
  });
}

test("a synthetic video folder probes as a frame folder with the fps from its meta.json", SLOW, async () => {
  const { probeMedia } = await import("../src/media/probe.js");
  const info = await probeMedia(join(dir, "faces-a", "train", "id0000#01"));
  assert.deepEqual([info.kind, info.width, info.height, info.frameCount, info.fps], ["frames", 32, 32, 4, 25]);
});

test("meta.json holds per-frame landmarks in [-1, 1], visibility, identity and pose", SLOW, () => {
  const meta = JSON.parse(readFileSync(join(dir, "faces-a", "train", "id0000#01", "meta.json"), "utf8"));
  assert.equal(meta.identity, 0);
  assert.equal(meta.frames, 4);
  assert.equal(meta.landmarks.length, 4);
  assert.equal(meta.landmarks[0].length, meta.landmarkNames.length);
  for (const frame of meta.landmarks)
    for (const [x, y] of frame) assert.ok(Math.abs(x) <= 1 && Math.abs(y) <= 1, `landmark (${x}, ${y}) outside [-1, 1]`);
  assert.ok(meta.visible.flat().every((v: number) => v === 0 || v === 1));
  assert.ok(typeof meta.pose[0].yaw === "number");
  assert.ok(Array.isArray(meta.identityParams.skin));
});

test("dime synth refuses bad options with one line", SLOW, () => {
  const run = runDime(["synth", "--kind", "cats", "--out", join(dir, "x")]);
  assert.equal(run.status, 1);
  assert.match(run.stderr.trim(), /^dime synth: --kind must be one of faces, bodies, shapes, got 'cats'$/);
});
