// `dime import` and `dime info --checkpoint` end to end, and a FOMM .pth.tar used directly with
// --config: the run folder written loads with FOMM's exact weights; refusals are one line on
// stderr with exit 1 and leave no folder; hostile files run nothing.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";

import * as torch from "../src/torch/index.js";
import { DEFAULT_CONFIG } from "../src/dime/config/schema.js";
import { configToYaml } from "../src/dime/config/file.js";
import { loadModel, type FrameSize } from "../src/infer/model.js";
import { GOLDEN_DIR, NO_GOLDEN, loadGolden } from "./helpers/golden.js";
import { fommTinyParams } from "./helpers/model-fixtures.js";
import { runDime } from "./helpers/train-fixtures.js";
import { SLOW } from "./helpers/tier.js";

const DIR = join(GOLDEN_DIR, "checkpoints");
const tmp = mkdtempSync(join(tmpdir(), "dime-cli-import-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

function writeConfig(name: string, edit: (c: typeof DEFAULT_CONFIG) => void = () => {}): string {
  const config = structuredClone(DEFAULT_CONFIG);
  config.model_params = fommTinyParams();
  config.dataset_params.frame_shape = [64, 64, 3];
  config.train_params.perceptual = "pixel";
  edit(config);
  const path = join(tmp, name);
  writeFileSync(path, configToYaml(config, "FOMM's tiny golden configuration"));
  return path;
}

function assertOneLineFailure(run: ReturnType<typeof runDime>, pattern: RegExp): void {
  assert.equal(run.status, 1, run.stderr);
  const lines = run.stderr.trim().split("\n");
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0], pattern);
}

/** Loads `checkpoint` as animate does and asserts it holds FOMM's golden weights bit for bit; returns its frame size. */
function assertGoldenWeights(checkpoint: string, config?: string): FrameSize {
  const weights = loadGolden("fomm-tiny-weights.safetensors");
  const loaded = loadModel(checkpoint, config ? { config } : {});
  try {
    const own = loaded.model.stateDict();
    for (const [key, t] of weights) assert.ok(own.get(key)!.equal(t), key);
    torch.dispose(own);
    return loaded.size;
  } finally {
    loaded.model.dispose();
    torch.dispose(weights);
  }
}

describe("dime import and dime info --checkpoint", { skip: NO_GOLDEN || SLOW.skip }, () => {
  const config = NO_GOLDEN ? "" : writeConfig("fomm-tiny.yaml");

  test("dime import writes a run folder holding FOMM's weights bit for bit", () => {
    const out = join(tmp, "imported");
    const run = runDime(["import", join(DIR, "fomm-tiny-zip.pth.tar"), "--config", config, "-o", out]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /imported .*\(zip format, epoch 49\).*discriminator's 26 tensors/);
    for (const file of [
      "config.yaml",
      "checkpoints/step-000000.safetensors",
      "checkpoints/step-000000.json",
      "checkpoints/step-000000.discriminator.safetensors",
    ])
      assert.ok(existsSync(join(out, file)), file);
    const sidecar = JSON.parse(readFileSync(join(out, "checkpoints/step-000000.json"), "utf8"));
    assert.deepEqual(sidecar.imported, { checkpoint: join(DIR, "fomm-tiny-zip.pth.tar"), model: "fomm", format: "zip", epoch: 49 });
    assertGoldenWeights(out);
  });

  test("a .pth.tar loads directly with --config, and needs it", () => {
    assert.deepEqual(assertGoldenWeights(join(DIR, "fomm-tiny-legacy.pth.tar"), config), { width: 64, height: 64 });
    assert.throws(() => loadModel(join(DIR, "fomm-tiny-legacy.pth.tar")), /holds no dime config: give --config/);
  });

  test("a config that does not fit: one line naming the value, exit 1, no folder", () => {
    const wrong = writeConfig("wrong-kp.yaml", (c) => (c.model_params.common_params.num_kp = 15));
    const out = join(tmp, "never");
    const run = runDime(["import", join(DIR, "fomm-tiny-legacy.pth.tar"), "--config", wrong, "-o", out]);
    assertOneLineFailure(
      run,
      /^dime import: .*fomm-tiny-legacy\.pth\.tar: kp_detector\.kp\.weight is \(4, 11, 7, 7\): num_kp is 4, .*wrong-kp\.yaml says 15$/,
    );
    assert.equal(existsSync(out), false);
  });

  test("hostile files: dime info and dime import refuse them in one line and run nothing", () => {
    const index = JSON.parse(readFileSync(join(DIR, "hostile", "index.json"), "utf8")) as { marker: string; files: Record<string, string> };
    rmSync(index.marker, { force: true });
    // Every hostile file is refused by the reader (io-torch-checkpoint.test.ts); here one of each
    // format through each command, as a process.
    const zip = join(DIR, "hostile", "reduce-os-system.pth");
    const legacy = join(DIR, "hostile", "reduce-eval-legacy.pth.tar");
    assertOneLineFailure(
      runDime(["info", "--checkpoint", zip]),
      /^dime info: .*reduce-os-system\.pth: refused to load the global posix\.system/,
    );
    const out = join(tmp, "hostile-import");
    assertOneLineFailure(
      runDime(["import", legacy, "--config", config, "-o", out]),
      /^dime import: .*reduce-eval-legacy\.pth\.tar: refused to load the global __builtin__\.eval/,
    );
    assert.equal(existsSync(out), false);
    assert.equal(existsSync(index.marker), false, "a payload ran");
  });

  test("dime info --checkpoint lists a FOMM file and a dime checkpoint without loading them", () => {
    const run = runDime(["info", "--checkpoint", join(DIR, "fomm-tiny-legacy.pth.tar"), "--json", join(tmp, "info.json")]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /pytorch legacy .*\n {2}model: a FOMM checkpoint/);
    assert.match(run.stdout, /num_kp 4\n/);
    assert.match(run.stdout, /optimizer_generator +dict \(2 entries\)/);
    assert.match(run.stdout, /kp_detector\.kp\.weight +float32 +\[4, 11, 7, 7\]/);
    assert.match(run.stdout, /tensors: 515, 2\.7 MB \(494 float32, 21 int64\)/);
    const json = JSON.parse(readFileSync(join(tmp, "info.json"), "utf8"));
    assert.equal(json.tensors.length, 515);
    const ours = runDime(["info", "--checkpoint", join(GOLDEN_DIR, "fomm-tiny-weights.safetensors")]);
    assert.equal(ours.status, 0, ours.stderr);
    assert.match(ours.stdout, /safetensors.*\n {2}model: DiME\/FOMM weights \(kp_detector, generator\)/);
  });
});
