// Config files: every shipped config loads, strictness errors are one line naming the dotted path,
// YAML errors name the file and line, configToYaml round-trips, overrides are as strict as files,
// and nothing mutates DEFAULT_CONFIG.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";

import { parse as parseYaml } from "yaml";

import { DEFAULT_CONFIG, type DimeConfig } from "../src/dime/config/schema.js";
import { ConfigError, applyOverrides, configToYaml, loadConfig, parseConfig } from "../src/dime/config/file.js";

const CONFIGS = join(import.meta.dirname, "..", "configs");
const dir = mkdtempSync(join(tmpdir(), "dime-config-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function writeYaml(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** The one-line message parseConfig gives for `object`, from source "x.yaml". */
function messageOf(object: unknown): string {
  try {
    parseConfig(object, "x.yaml");
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
    assert.ok(!err.message.includes("\n"), `the message should be one line: ${err.message}`);
    return err.message;
  }
  assert.fail(`parseConfig accepted ${JSON.stringify(object)}`);
}

/** A nested object with `value` at a dotted path, e.g. at("model_params.common_params.num_kp", 3). */
function at(dotted: string, value: unknown): unknown {
  return dotted
    .split(".")
    .reverse()
    .reduce((inner, key) => ({ [key]: inner }), value);
}

test("every file in configs/ loads, at the size its name says", () => {
  const files = readdirSync(CONFIGS).filter((f) => f.endsWith(".yaml"));
  assert.ok(files.length >= 11, `expected the dataset configs, found ${files.join(", ")}`);
  for (const file of files) {
    const config = loadConfig(join(CONFIGS, file));
    const size = Number(/-(\d+)\.yaml$/.exec(file)?.[1]);
    assert.deepEqual(config.dataset_params.frame_shape, [size, size, 3], file);
  }
});

test("the paper's dataset configs have the paper's switches; the synthetic ones train without VGG", () => {
  for (const name of ["vox-256", "dfdc-256", "nemo-256", "ted-384", "aist-256", "taichi-256", "fashion-256", "bair-256", "mgif-256"]) {
    const { switches } = loadConfig(join(CONFIGS, `${name}.yaml`)).model_params;
    assert.deepEqual(
      { ...switches, ode: undefined },
      { refine: true, identity_flow: true, num_refs: 3, jacobians: false, aligned_resize: true, ode: undefined },
      name,
    );
  }
  for (const name of ["synth-faces-64", "synth-bodies-64"])
    assert.equal(loadConfig(join(CONFIGS, `${name}.yaml`)).train_params.perceptual, "pixel", name);
});

test("keys left out keep their defaults; lists are replaced whole", () => {
  const config = parseConfig({ train_params: { scales: [1, 0.5] }, model_params: { common_params: { num_kp: 15 } } }, "x.yaml");
  assert.deepEqual(config.train_params.scales, [1, 0.5]);
  assert.equal(config.model_params.common_params.num_kp, 15);
  assert.equal(config.model_params.common_params.num_channels, DEFAULT_CONFIG.model_params.common_params.num_channels);
  assert.deepEqual(config.model_params.generator_params, DEFAULT_CONFIG.model_params.generator_params);
  assert.deepEqual(parseConfig(null, "x.yaml"), DEFAULT_CONFIG, "an empty file is the default config");
});

test("an unknown key names its dotted path and the valid keys at that level", () => {
  assert.equal(
    messageOf(at("model_params.switches.refin", true)),
    "x.yaml: model_params.switches.refin: unknown key; did you mean refine? valid keys in model_params.switches: refine, identity_flow, num_refs, jacobians, aligned_resize, ode",
  );
  assert.equal(
    messageOf({ data: {} }),
    "x.yaml: data: unknown key; valid keys at the top level: dataset_params, model_params, train_params",
  );
  assert.match(
    messageOf(at("model_params.toString", 1)),
    /^x\.yaml: model_params\.toString: unknown key; valid keys in model_params: common_params, /,
  );
  assert.equal(
    messageOf(at("model_params.common_params.estimate_jacobian", true)),
    "x.yaml: model_params.common_params.estimate_jacobian: unknown key; DiME sets this with model_params.switches.jacobians",
  );
});

test("a wrong type names the path, the expected type and the value", () => {
  assert.equal(
    messageOf(at("model_params.switches.refine", "yes")),
    'x.yaml: model_params.switches.refine: expected true or false, got "yes"; write true or false',
  );
  assert.equal(
    messageOf(at("train_params.lr", "fast")),
    'x.yaml: train_params.lr: expected a number, got "fast"; write a number, e.g. 0.0002',
  );
  assert.equal(
    messageOf(at("model_params.switches", 3)),
    "x.yaml: model_params.switches: expected a mapping with keys refine, identity_flow, num_refs, jacobians, aligned_resize, ode, got 3; write those keys indented under model_params.switches",
  );
  assert.equal(
    messageOf(at("train_params.scales", 0.5)),
    "x.yaml: train_params.scales: expected a list of numbers, got 0.5; write e.g. [1, 0.5, 0.25, 0.125]",
  );
  assert.equal(
    messageOf(at("train_params.scales", [1, "half"])),
    'x.yaml: train_params.scales[1]: expected a number, got "half"; write a number, e.g. 1',
  );
  assert.equal(
    messageOf(at("train_params.vgg_weights", 7)),
    'x.yaml: train_params.vgg_weights: expected a string, got 7; write a string, e.g. ""',
  );
  assert.equal(
    messageOf([]),
    "x.yaml: expected a mapping with keys dataset_params, model_params, train_params, got []; write those keys at the top level",
  );
});

test("enums accept only their names", () => {
  assert.equal(
    messageOf(at("model_params.switches.ode.method", "rk45")),
    'x.yaml: model_params.switches.ode.method: expected one of euler, midpoint, rk4, got "rk45"; pick one of those',
  );
  assert.equal(
    messageOf(at("train_params.perceptual", "lpips")),
    'x.yaml: train_params.perceptual: expected one of vgg, pixel, got "lpips"; pick one of those',
  );
  assert.equal(parseConfig(at("model_params.switches.ode.method", "rk4"), "x.yaml").model_params.switches.ode.method, "rk4");
});

test("counts must be whole numbers in range, scales 1/n, tuples of their length", () => {
  assert.equal(
    messageOf(at("model_params.common_params.num_kp", 2.5)),
    "x.yaml: model_params.common_params.num_kp: expected a positive integer, got 2.5; write a positive integer, e.g. 10",
  );
  assert.equal(
    messageOf(at("train_params.batch_size", 0)),
    "x.yaml: train_params.batch_size: expected a positive integer, got 0; write a positive integer, e.g. 8",
  );
  assert.equal(
    messageOf(at("model_params.switches.ode.steps", -1)),
    "x.yaml: model_params.switches.ode.steps: expected a positive integer, got -1; write a positive integer, e.g. 2",
  );
  assert.equal(
    messageOf(at("model_params.switches.num_refs", -1)),
    "x.yaml: model_params.switches.num_refs: expected a non-negative integer, got -1; write a non-negative integer, e.g. 3",
  );
  assert.equal(parseConfig(at("model_params.switches.num_refs", 0), "x.yaml").model_params.switches.num_refs, 0);
  assert.match(
    messageOf(at("model_params.generator_params.num_down_blocks", -1)),
    /^x\.yaml: model_params\.generator_params\.num_down_blocks: expected a non-negative integer, got -1; /,
  );
  assert.equal(
    parseConfig(at("model_params.generator_params.num_down_blocks", 0), "x.yaml").model_params.generator_params.num_down_blocks,
    0,
  );
  assert.match(
    messageOf(at("model_params.kp_detector_params.scale_factor", 0.3)),
    /^x\.yaml: model_params\.kp_detector_params\.scale_factor: expected a scale 1\/n \(1, 0\.5, 0\.25, 0\.125, \.\.\.\), got 0\.3; /,
  );
  assert.match(messageOf(at("train_params.scales", [1, 1.5])), /^x\.yaml: train_params\.scales\[1\]: expected a scale 1\/n/);
  assert.equal(
    messageOf(at("dataset_params.frame_shape", [64, 64])),
    "x.yaml: dataset_params.frame_shape: expected a list of 3 numbers, got [64,64] (2); write e.g. [256, 256, 3]",
  );
  assert.match(
    messageOf(at("dataset_params.frame_shape", [64, 64.5, 3])),
    /^x\.yaml: dataset_params\.frame_shape\[1\]: expected a positive integer, got 64\.5; /,
  );
  assert.match(
    messageOf(at("train_params.loss_weights.perceptual", [10, 10, 10, 10])),
    /^x\.yaml: train_params\.loss_weights\.perceptual: expected a list of 5 numbers/,
  );
  assert.match(
    messageOf(at("train_params.lr_milestones", [0.9, 0.6])),
    /^x\.yaml: train_params\.lr_milestones\[1\]: 0\.6 does not come after 0\.9; /,
  );
  assert.match(messageOf(at("train_params.lr", Number.NaN)), /^x\.yaml: train_params\.lr: expected a number, got NaN; /);
});

test("keys that must agree are checked against each other", () => {
  const at64 = (more: object) => ({ ...(at("dataset_params.frame_shape", [64, 64, 3]) as object), ...more });
  assert.equal(
    messageOf(at64({})),
    "x.yaml: model_params.kp_detector_params.num_blocks: 5 blocks halve the keypoint detector's 16x16 input 5 times, so each side must be divisible by 32; use at most 4 blocks, or change model_params.kp_detector_params.scale_factor or dataset_params.frame_shape",
  );
  assert.match(
    messageOf(at("dataset_params.frame_shape", [256, 256, 1])),
    /^x\.yaml: dataset_params\.frame_shape: frames have 1 channels but model_params\.common_params\.num_channels is 3; /,
  );
  // 256 px with VGG: scale 1/32 leaves 8 px, too small for VGG-19's poolings.
  assert.equal(
    messageOf(at("train_params.scales", [1, 0.03125])),
    "x.yaml: train_params.scales[1]: scale 0.03125 gives 8x8 images, too small for VGG-19 to reach relu5_1 (at least 16x16); drop that scale, or use train_params.perceptual: pixel",
  );
  // Without a relu5_1 weight, VGG stops at relu4_1, which 8 px reach.
  assert.deepEqual(
    parseConfig({ train_params: { scales: [1, 0.03125], loss_weights: { perceptual: [10, 10, 10, 10, 0] } } }, "x.yaml").train_params
      .scales,
    [1, 0.03125],
  );
});

test("a file's errors name the file and the line", () => {
  const unknown = writeYaml("unknown.yaml", "model_params:\n  switches:\n    refine: true\n    refin: false\n");
  assert.throws(() => loadConfig(unknown), {
    name: "ConfigError",
    message: `${unknown}:4: model_params.switches.refin: unknown key; did you mean refine? valid keys in model_params.switches: refine, identity_flow, num_refs, jacobians, aligned_resize, ode`,
  });
  const wrong = writeYaml("wrong.yaml", "train_params:\n  scales: [1, 0.5, x]\n");
  assert.throws(() => loadConfig(wrong), {
    message: `${wrong}:2: train_params.scales[2]: expected a number, got "x"; write a number, e.g. 1`,
  });
  const syntax = writeYaml("syntax.yaml", "model_params:\n  switches:\n    refine: true\n   ode: [1, 2\n");
  assert.throws(
    () => loadConfig(syntax),
    (err: Error) =>
      err instanceof ConfigError &&
      new RegExp(`^${syntax.replace(/[.\\]/g, "\\$&")}:4: invalid YAML \\(.+\\); fix the syntax at line 4, column \\d+$`).test(err.message),
  );
  const twice = writeYaml("twice.yaml", "train_params:\n  lr: 1.0e-4\n  lr: 2.0e-4\n");
  assert.throws(
    () => loadConfig(twice),
    (err: Error) => err.message.startsWith(`${twice}:3: invalid YAML (Map keys must be unique)`),
  );
  const missing = join(dir, "missing.yaml");
  assert.throws(() => loadConfig(missing), {
    message: `${missing}: cannot read the config (no such file); check the path, or pick one of configs/*.yaml`,
  });
  assert.deepEqual(loadConfig(writeYaml("empty.yaml", "# nothing but a comment\n")), DEFAULT_CONFIG);
});

test("configToYaml -> parseConfig gives back the same config", () => {
  const configs: DimeConfig[] = [
    DEFAULT_CONFIG,
    ...readdirSync(CONFIGS)
      .filter((f) => f.endsWith(".yaml"))
      .map((f) => loadConfig(join(CONFIGS, f))),
  ];
  configs.push(
    applyOverrides(DEFAULT_CONFIG, {
      "train_params.lr": 1e-7,
      "train_params.vgg_weights": "weights/vgg 19.safetensors",
      "train_params.lr_milestones": "[]",
    }),
  );
  for (const config of configs) assert.deepEqual(parseConfig(parseYaml(configToYaml(config)), "round trip"), config);
  const withHeader = configToYaml(DEFAULT_CONFIG, "saved by dime train\nstep 0");
  assert.ok(withHeader.startsWith("# saved by dime train\n# step 0\n"), withHeader.slice(0, 80));
  assert.deepEqual(parseConfig(parseYaml(withHeader), "round trip"), DEFAULT_CONFIG);
});

test("applyOverrides reads CLI strings by the key's type and is as strict as a file", () => {
  const base = loadConfig(join(CONFIGS, "synth-faces-64.yaml"));
  const before = structuredClone(base);
  const config = applyOverrides(base, {
    "model_params.switches.refine": "false",
    "model_params.switches.ode.steps": "4",
    "model_params.switches.ode.method": "rk4",
    "train_params.scales": "[1, 0.5]",
    "train_params.vgg_weights": "123",
    "train_params.batch_size": 2,
    "model_params.switches.jacobians": true,
  });
  assert.equal(config.model_params.switches.refine, false);
  assert.deepEqual(config.model_params.switches.ode, { method: "rk4", steps: 4 });
  assert.deepEqual(config.train_params.scales, [1, 0.5]);
  assert.equal(config.train_params.vgg_weights, "123", "a string key keeps the text as given");
  assert.equal(config.train_params.batch_size, 2);
  assert.equal(config.model_params.switches.jacobians, true);
  assert.equal(config.model_params.kp_detector_params.scale_factor, 0.5, "keys not overridden keep the config's value, not the default");
  assert.deepEqual(base, before, "the config given is not modified");

  const fails = (overrides: Record<string, string>, message: string) =>
    assert.throws(() => applyOverrides(base, overrides, "--set"), { name: "ConfigError", message });
  fails(
    { "model_params.switches.refine": "maybe" },
    '--set: model_params.switches.refine: expected true or false, got "maybe"; write true or false',
  );
  fails(
    { "model_params.switches.nope": "1" },
    "--set: model_params.switches.nope: unknown key; valid keys in model_params.switches: refine, identity_flow, num_refs, jacobians, aligned_resize, ode",
  );
  fails(
    { "model_params.__proto__.x": "1" },
    "--set: model_params.__proto__: unknown key; valid keys in model_params: common_params, kp_detector_params, generator_params, motion_ode_params, self_flow_params, switches, discriminator_params",
  );
  fails(
    { "model_params.switches.ode.steps": "0" },
    "--set: model_params.switches.ode.steps: expected a positive integer, got 0; write a positive integer, e.g. 2",
  );
  fails(
    { "train_params.perceptual": "lpips" },
    '--set: train_params.perceptual: expected one of vgg, pixel, got "lpips"; pick one of those',
  );
  assert.throws(
    () => applyOverrides(base, { "model_params.kp_detector_params.num_blocks": "6" }),
    /^ConfigError: overrides: model_params\.kp_detector_params\.num_blocks: 6 blocks halve the keypoint detector's 32x32 input/,
  );
});

test("parsing never mutates DEFAULT_CONFIG, and results share nothing with it", () => {
  const snapshot = structuredClone(DEFAULT_CONFIG);
  const parsed = parseConfig({ train_params: { batch_size: 2 } }, "x.yaml");
  parsed.train_params.scales.push(0.0625);
  parsed.dataset_params.frame_shape[0] = 1;
  parsed.model_params.switches.ode.steps = 9;
  parsed.train_params.loss_weights.perceptual[0] = 0;
  const overridden = applyOverrides(DEFAULT_CONFIG, { "model_params.switches.num_refs": "0" });
  overridden.train_params.betas[0] = 0;
  for (const file of readdirSync(CONFIGS, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith(".yaml")))
    loadConfig(join(CONFIGS, file)).model_params.common_params.num_kp = 99;
  assert.deepEqual(DEFAULT_CONFIG, snapshot);
});

test("docs/configs.md lists every key with its default", () => {
  const rows = new Map<string, unknown>();
  for (const [, key, value] of readFileSync(join(import.meta.dirname, "..", "docs", "configs.md"), "utf8").matchAll(
    /^\| `([a-z0-9_.]+)` \|.*\| `([^`]*)` \|$/gm,
  ))
    rows.set(key, parseYaml(value));
  const leaves = (node: object, prefix: string): [string, unknown][] =>
    Object.entries(node).flatMap(([key, value]) =>
      typeof value === "object" && !Array.isArray(value) ? leaves(value, `${prefix}${key}.`) : [[`${prefix}${key}`, value]],
    );
  const expected = leaves(DEFAULT_CONFIG, "");
  for (const [key, value] of expected) assert.deepEqual(rows.get(key), value, `docs/configs.md row for ${key}`);
  assert.deepEqual(
    [...rows.keys()],
    expected.map(([key]) => key),
    "the table has no other keys, in the config's order",
  );
});
