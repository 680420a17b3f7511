// The layers of src/ (docs/layers.md): every relative import in src/ goes to the same folder or to a
// folder of a lower layer, never up or sideways; a folder missing from the table fails too, so a
// new folder is placed on purpose. Reads the sources' import lines; no code is loaded.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { SRC_LAYERS, layerViolations } from "./helpers/import-layers.js";

const SRC = fileURLToPath(new URL("../src", import.meta.url));

test("every folder of src/ has a layer", () => {
  const folders = readdirSync(SRC, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name);
  const missing = folders.filter((f) => !SRC_LAYERS.has(f));
  assert.deepEqual(
    missing,
    [],
    `src/ folders without a layer in test/helpers/import-layers.ts (and docs/layers.md): ${missing.join(", ")}`,
  );
});

test("imports flow down the layers: no folder of src/ imports a higher or sibling layer", () => {
  const violations = layerViolations(SRC, (file) => readFileSync(file, "utf8"));
  assert.deepEqual(violations, [], `upward or sideways imports:\n${violations.join("\n")}`);
});

test("the check sees upward imports (torch -> dime, nn -> media) and sideways ones (infer -> train, nn -> optim), in every import form", () => {
  const files = new Map([
    [join(SRC, "torch", "planted.ts"), 'import { DiME } from "../dime/dime.js";\n'],
    [join(SRC, "infer", "planted.ts"), 'export { train } from "../train/index.js";\n'],
    [join(SRC, "nn", "planted.ts"), 'import "../media/probe.js";\nconst m = await import("../optim/index.js");\n'],
    [join(SRC, "dime", "fine.ts"), 'import type { Tensor } from "../torch/index.js";\nimport { x } from "./geometry.js";\n'],
  ]);
  const found = layerViolations(SRC, (file) => files.get(file) ?? "", [...files.keys()]);
  const rel = (p: string) => relative(dirname(SRC), p).split(sep).join("/");
  assert.deepEqual(found, [
    `${rel(join(SRC, "torch", "planted.ts"))}: torch (layer 1) imports dime (layer 5)`,
    `${rel(join(SRC, "infer", "planted.ts"))}: infer (layer 7) imports train (layer 7)`,
    `${rel(join(SRC, "nn", "planted.ts"))}: nn (layer 2) imports media (layer 3)`,
    `${rel(join(SRC, "nn", "planted.ts"))}: nn (layer 2) imports optim (layer 2)`,
  ]);
});
