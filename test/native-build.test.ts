// Finding libtorch for the addon build: the three places, in order, and one line when none has it.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

// @ts-expect-error: a plain .mjs build script without type declarations
import { findLibtorch, NOT_FOUND } from "../native/find-libtorch.mjs";
import { SLOW } from "./helpers/tier.js";

const script = fileURLToPath(new URL("../native/find-libtorch.mjs", import.meta.url));
const empty = mkdtempSync(join(tmpdir(), "dime-no-libtorch-"));
const nowhere = { libtorch: undefined, pythons: ["/nonexistent/python3"], systemLibDirs: [empty], systemIncludeDirs: [empty] };

test("no libtorch anywhere: null, and the message names the three ways", () => {
  assert.equal(findLibtorch(nowhere), null);
  assert.match(NOT_FOUND, /LIBTORCH/);
  assert.match(NOT_FOUND, /Python torch/);
  assert.match(NOT_FOUND, /libtorch-dev/);
  assert.equal(NOT_FOUND.includes("\n"), false);
});

test("LIBTORCH that is not a libtorch folder fails with one line naming it", () => {
  const run = spawnSync(process.execPath, [script], { env: { ...process.env, LIBTORCH: empty }, encoding: "utf8" });
  assert.equal(run.status, 1);
  assert.equal(run.stderr.trim().split("\n").length, 1);
  assert.match(run.stderr, new RegExp(`LIBTORCH=${empty} is not a libtorch folder`));
});

// Asks up to three Pythons for a pip torch first (each a second or more): full tier.
test("the libtorch this build used is found again, with its include folders", SLOW, () => {
  const found = findLibtorch();
  assert.ok(found, "the addon was built, so libtorch must be findable");
  assert.equal(found.include.length, 2);
});
