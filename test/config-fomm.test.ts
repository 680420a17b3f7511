// configs/fomm/*.yaml, one per model FOMM released: each loads with FOMM's switches, and the
// state-dict shapes FOMM's own modules build from its config/*.yaml (test/fixtures/
// fomm-256-shapes.json, experiments/fomm/fomm_reference.py) fit the model it builds, so a
// checkpoint of that architecture imports into it.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { DiME } from "../src/dime/dime.js";
import { loadConfig } from "../src/dime/config/file.js";
import { fommShapeProblem } from "../src/checkpoint/fomm-import.js";
import { SLOW } from "./helpers/tier.js";

const DIR = join(import.meta.dirname, "..", "configs", "fomm");
const RELEASED = ["vox-256", "vox-adv-256", "taichi-256", "taichi-adv-256", "nemo-256", "mgif-256", "bair-256", "fashion-256"];
const fixture = JSON.parse(readFileSync(join(import.meta.dirname, "fixtures", "fomm-256-shapes.json"), "utf8")) as {
  released: Record<string, "shapes" | "single_jacobian_map">;
  shapes: Record<string, number[]>;
  single_jacobian_map: Record<string, number[]>;
};

test("one config per released FOMM model, each with FOMM's switches", () => {
  assert.deepEqual(
    readdirSync(DIR)
      .filter((f) => f.endsWith(".yaml"))
      .sort(),
    RELEASED.map((n) => `${n}.yaml`).sort(),
  );
  for (const name of RELEASED) {
    const config = loadConfig(join(DIR, `${name}.yaml`));
    assert.deepEqual(config.dataset_params.frame_shape, [256, 256, 3], name);
    const { ode: _ode, ...switches } = config.model_params.switches;
    assert.deepEqual(switches, { refine: false, identity_flow: false, num_refs: 0, jacobians: true, aligned_resize: false }, name);
    assert.equal(config.model_params.kp_detector_params.single_jacobian_map, name === "mgif-256", name);
    assert.match(readFileSync(join(DIR, `${name}.yaml`), "utf8"), new RegExp(`config/${name}\\.yaml`), `${name} names its source`);
  }
});

// Builds two 256 px models: full tier.
test("FOMM's own state-dict shapes fit the model each config builds (and not the other kind)", SLOW, () => {
  const models = new Map<string, DiME>();
  try {
    for (const name of RELEASED) {
      const params = loadConfig(join(DIR, `${name}.yaml`)).model_params;
      const key = JSON.stringify(params);
      if (!models.has(key)) models.set(key, new DiME(params));
      const model = models.get(key)!;
      const kind = fixture.released[name];
      assert.equal(fommShapeProblem(model, new Map(Object.entries(fixture[kind]))), undefined, name);
      const other = kind === "shapes" ? fixture.single_jacobian_map : fixture.shapes;
      assert.match(
        fommShapeProblem(model, new Map(Object.entries(other)))!,
        /kp_detector\.jacobian\.weight is \((4|40), 35, 7, 7\): kp_detector_params\.single_jacobian_map is (true|false), the config says (false|true)$/,
        name,
      );
    }
    assert.equal(models.size, 2, "the released models share one architecture but for mgif's Jacobian map");
  } finally {
    for (const m of models.values()) m.dispose();
  }
});
