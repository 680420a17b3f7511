// The animation pairs (src/eval/pairs.ts) and the names of report rows (src/eval/run.ts): pairs are
// seeded and stable (pinned draw), distinct, never of one identity, all of them when fewer exist
// than asked; identities come from meta.json, else from the name before '#'.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import type { VideoEntry } from "../src/data/layout.js";
import { animationPairs, countValidPairs, videoIdentities } from "../src/eval/pairs.js";
import { checkpointNames } from "../src/eval/run.js";

/** 12 videos: identities a..f, two takes each, as 'a#00', 'a#01', ... */
const IDS = ["a", "a", "b", "b", "c", "c", "d", "d", "e", "e", "f", "f"];

describe("animation pairs", () => {
  test("never two videos of one identity, no pair twice, the count asked for", () => {
    for (const seed of [0, 1, 2, 3]) {
      const pairs = animationPairs(IDS, 40, seed);
      assert.equal(pairs.length, 40);
      for (const p of pairs) assert.notEqual(IDS[p.source], IDS[p.driving], JSON.stringify(p));
      assert.equal(new Set(pairs.map((p) => `${p.source},${p.driving}`)).size, 40);
    }
  });

  test("seeded: the same seed draws the same pairs, pinned; another seed others", () => {
    const a = animationPairs(IDS, 5, 0);
    assert.deepEqual(animationPairs(IDS, 5, 0), a);
    // Pinned so that a change to the draw (and so to every published animation figure) is seen.
    assert.deepEqual(
      a.map((p) => [p.source, p.driving]),
      PINNED,
    );
    assert.notDeepEqual(animationPairs(IDS, 5, 1), a);
  });

  test("fewer valid pairs than asked: all of them, sorted; many asked of few: a seeded subset", () => {
    const ids = ["x", "x", "y"];
    assert.equal(countValidPairs(ids), 4);
    assert.deepEqual(
      animationPairs(ids, 200, 0).map((p) => [p.source, p.driving]),
      [
        [0, 2],
        [1, 2],
        [2, 0],
        [2, 1],
      ],
    );
    assert.equal(countValidPairs(IDS), 144 - 6 * 4);
    const most = animationPairs(IDS, 100, 7); // more than half of the 120: listed and shuffled
    assert.equal(new Set(most.map((p) => `${p.source},${p.driving}`)).size, 100);
    assert.ok(most.every((p) => IDS[p.source] !== IDS[p.driving]));
    assert.deepEqual(animationPairs(IDS, 100, 7), most);
  });

  test("one identity only, or a bad count: a clear error", () => {
    assert.throws(() => animationPairs(["a", "a"], 10), /at least two identities; the 2 test videos are all one identity/);
    assert.throws(() => animationPairs(IDS, 0), /positive integer/);
  });

  test("identities: meta.json's kind and identity, else the name before '#', else the name", () => {
    const video = (name: string) => ({ name }) as VideoEntry;
    const videos = ["id0001#00", "id0001#01", "solo", "other"].map(video);
    const meta = { kind: "faces", identity: 4, visible: [] };
    assert.deepEqual(videoIdentities(videos, [undefined, undefined, undefined, undefined]), ["id0001", "id0001", "solo", "other"]);
    assert.deepEqual(videoIdentities(videos.slice(0, 2), [meta, { ...meta, identity: 5 }]), ["faces:4", "faces:5"]);
  });
});

test("row names: run folder, checkpoint file, run/step for RUN/checkpoints/, repeats numbered", () => {
  assert.deepEqual(
    checkpointNames([
      "runs/full",
      "runs/full/",
      "a/b/model.safetensors",
      "runs/x/checkpoints/step-000100.safetensors",
      "runs/x/checkpoints/step-000100.json",
    ]),
    ["full", "full #2", "model", "x/step-000100", "x/step-000100 #2"],
  );
});

const PINNED: [number, number][] = [
  [11, 3],
  [3, 9],
  [8, 10],
  [6, 5],
  [11, 5],
];
