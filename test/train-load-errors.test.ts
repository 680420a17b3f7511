// A checkpoint whose weights do not fit the config saved with it: loading names the first bad key
// in one line, whichever list (missing, unexpected, mis-shaped) it is in.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

import { loadModel } from "../src/infer/model.js";
import { firstMismatch } from "../src/checkpoint/load.js";
import { tinyDimeParams } from "./helpers/model-fixtures.js";
import { configFor, writeCheckpoint } from "./infer-fixtures.js";

test("firstMismatch keeps the first bad key of loadStateDict's report", () => {
  const report = [
    "loadStateDict: the state dict does not fit DiME; nothing was loaded.",
    "  missing keys (in the model, not in the state dict):",
    "    generator.fuse.weight",
    "    generator.fuse.bias",
    "  mis-shaped keys:",
    "    kp_detector.kp.weight: model has [10, 32, 7, 7], state dict has [5, 32, 7, 7]",
    "  To fix: ...",
  ].join("\n");
  assert.match(firstMismatch(report), /\(missing keys: generator\.fuse\.weight and others\)/);
  const shaped = firstMismatch(
    report
      .split("\n")
      .filter((_, i) => i === 0 || i >= 4)
      .join("\n"),
  );
  assert.match(shaped, /\(mis-shaped keys: kp_detector\.kp\.weight: model has \[10, 32, 7, 7\], state dict has \[5, 32, 7, 7\]\)/);
  assert.equal(firstMismatch("something else\nentirely"), "something else");
});

test("weights of another model under a sidecar: one line naming the file and the first bad key", () => {
  const dir = mkdtempSync(join(tmpdir(), "dime-load-errors-"));
  try {
    const target = writeCheckpoint(dir, "step-000001", configFor(tinyDimeParams({ identity_flow: true, num_refs: 1 })));
    const other = writeCheckpoint(dir, "other", configFor(tinyDimeParams({ identity_flow: false, num_refs: 1 })));
    renameSync(other, target);
    const sidecar = join(dir, "step-000001.json");
    const meta = JSON.parse(readFileSync(sidecar, "utf8"));
    meta.files.weights.bytes = statSync(target).size;
    writeFileSync(sidecar, JSON.stringify(meta));
    assert.throws(
      () => loadModel(target),
      (error: Error) => {
        assert.equal(error.message.split("\n").length, 1, error.message);
        assert.match(error.message, /step-000001\.safetensors: the weights do not fit .*missing keys: generator\.fuse\.weight and others/);
        return true;
      },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
