// Strict checking of a config object against DimeConfig: the shape and the type of every value
// come from DEFAULT_CONFIG, the remaining limits from the tables in rules.ts, and a few
// checks across keys (the hourglasses must fit the image) from crossCheck below. Every error is
// one ConfigError naming the dotted path and what to write instead.
import { parse as parseYamlValue } from "yaml";

import { DEFAULT_CONFIG, type DimeConfig } from "./schema.js";
import { FOREIGN_KEY_HINTS, constraintFor, type Constraint, type Rule } from "./rules.js";

/**
 * A config that cannot be used. `message` is one line,
 * `<source>: <dotted.path>: <problem>; <what to do>`, where source is the file (with `:line` when
 * known) or whatever the caller named, e.g. "--set"; the CLI prints it as is.
 */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    /** The dotted path of the offending key ("" for the file as a whole). */
    readonly path: string,
    readonly problem: string,
    readonly hint: string,
  ) {
    super(`${source}: ${path ? `${path}: ` : ""}${problem}; ${hint}`);
    this.name = "ConfigError";
  }
}

/** A path into the config: keys, and indices into lists. */
export type ConfigPath = readonly (string | number)[];

/** Finds the line of a path in the file the object came from; undefined when it is not there. */
export type LineLocator = (path: ConfigPath) => number | undefined;

/** `model_params.switches.refine`, `train_params.scales[3]`. */
export function dottedPath(path: ConfigPath): string {
  return path.map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`)).join("");
}

/**
 * Checks `object` (parsed YAML or JSON) and deep-merges it over DEFAULT_CONFIG; keys it leaves out
 * keep their defaults, lists are replaced whole. `source` names where the object came from in
 * errors. DEFAULT_CONFIG is not modified; the result shares no objects with it.
 * @throws ConfigError for an unknown key, a wrong type, a value out of range, or keys that
 *   disagree (a hourglass deeper than its input allows, channels that do not match).
 */
export function parseConfig(object: unknown, source: string, locate?: LineLocator): DimeConfig {
  return checkOver(DEFAULT_CONFIG, object ?? {}, source, locate);
}

/**
 * Applies CLI-style overrides, `{ "model_params.switches.refine": "false", "train_params.scales":
 * "[1, 0.5]" }`, with the same strictness as a file. A string value is read as YAML (so "8" is a
 * number, "false" a boolean, "[1, 0.5]" a list) except where the key holds a string. Returns a
 * new config; `config` is not modified.
 */
export function applyOverrides(
  config: DimeConfig,
  overrides: Readonly<Record<string, string | number | boolean>>,
  source = "overrides",
): DimeConfig {
  // Null-prototype objects, so that a key such as "__proto__" is an ordinary (unknown) key.
  const nested: Record<string, unknown> = Object.create(null);
  for (const [dotted, raw] of Object.entries(overrides)) {
    const keys = dotted.split(".");
    const schema = keys.reduce<unknown>(
      (node, key) => (isMapping(node) && Object.hasOwn(node, key) ? node[key] : undefined),
      DEFAULT_CONFIG,
    );
    const value = typeof raw === "string" && typeof schema !== "string" ? readScalar(raw) : raw;
    let node = nested;
    for (const key of keys.slice(0, -1)) {
      if (!isMapping(node[key])) node[key] = Object.create(null);
      node = node[key] as Record<string, unknown>;
    }
    node[keys[keys.length - 1]] = value;
  }
  return checkOver(config, nested, source);
}

function readScalar(text: string): unknown {
  try {
    return parseYamlValue(text);
  } catch {
    return text; // not YAML: the type check reports it as the string it is
  }
}

function checkOver(base: DimeConfig, object: unknown, source: string, locate?: LineLocator): DimeConfig {
  const fail = (path: ConfigPath, problem: string, hint: string): never => {
    const line = locate?.(path);
    throw new ConfigError(line === undefined ? source : `${source}:${line}`, dottedPath(path), problem, hint);
  };
  const config = merge(DEFAULT_CONFIG, base, object, [], fail) as DimeConfig;
  crossCheck(config, fail);
  return config;
}

type Fail = (path: ConfigPath, problem: string, hint: string) => never;

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * `value` checked against `schema` (the node of DEFAULT_CONFIG at `path`) and merged over `base`
 * (the same node of the config being overridden). Returns a fresh tree.
 */
function merge(schema: unknown, base: unknown, value: unknown, path: ConfigPath, fail: Fail): unknown {
  const here = dottedPath(path);
  if (isMapping(schema)) {
    const keys = Object.keys(schema);
    if (!isMapping(value))
      fail(
        path,
        `expected a mapping with keys ${keys.join(", ")}, got ${show(value)}`,
        here ? `write those keys indented under ${here}` : "write those keys at the top level",
      );
    const given = value as Record<string, unknown>;
    for (const key of Object.keys(given))
      if (!Object.hasOwn(schema, key)) fail([...path, key], "unknown key", unknownKeyHint(key, keys, here));
    const out: Record<string, unknown> = {};
    const baseMap = base as Record<string, unknown>;
    for (const key of keys)
      out[key] = key in given ? merge(schema[key], baseMap[key], given[key], [...path, key], fail) : structuredClone(baseMap[key]);
    return out;
  }
  const constraint = constraintFor(here) ?? {};
  if (Array.isArray(schema)) return checkList(schema, value, path, constraint, fail);
  return checkLeaf(schema, value, path, constraint.rule, fail);
}

function checkList(schema: unknown[], value: unknown, path: ConfigPath, constraint: Constraint, fail: Fail): unknown[] {
  const what = constraint.length === undefined ? "a list of numbers" : `a list of ${constraint.length} numbers`;
  const example = `e.g. [${schema.join(", ")}]`;
  if (!Array.isArray(value)) fail(path, `expected ${what}, got ${show(value)}`, `write ${example}`);
  const list = value as unknown[];
  if (constraint.length !== undefined && list.length !== constraint.length)
    fail(path, `expected ${what}, got ${show(list)} (${list.length})`, `write ${example}`);
  if (constraint.nonEmpty && list.length === 0) fail(path, "expected at least one number, got an empty list", `write ${example}`);
  const out = list.map((element, i) => checkLeaf(schema[0], element, [...path, i], constraint.rule, fail) as number);
  if (constraint.increasing) {
    const i = out.findIndex((x, j) => j > 0 && x <= out[j - 1]);
    if (i > 0) fail([...path, i], `${out[i]} does not come after ${out[i - 1]}`, "list the values in increasing order");
  }
  return out;
}

function checkLeaf(schema: unknown, value: unknown, path: ConfigPath, rule: Rule | undefined, fail: Fail): unknown {
  const example = typeof schema === "string" && schema === "" ? '""' : String(schema);
  if (typeof schema === "boolean") {
    if (typeof value !== "boolean") fail(path, `expected true or false, got ${show(value)}`, "write true or false");
    return value;
  }
  if (typeof schema === "string") {
    if (typeof value !== "string") fail(path, `expected a string, got ${show(value)}`, `write a string, e.g. ${example}`);
    if (rule?.kind === "oneOf" && !rule.values.includes(value as string))
      fail(path, `expected one of ${rule.values.join(", ")}, got ${show(value)}`, "pick one of those");
    return value;
  }
  if (typeof value !== "number" || !Number.isFinite(value))
    fail(path, `expected a number, got ${show(value)}`, `write a number, e.g. ${example}`);
  const x = value as number;
  if (rule && !satisfies(rule, x)) fail(path, `expected ${describe(rule)}, got ${x}`, `write ${describe(rule)}, e.g. ${example}`);
  return x;
}

function satisfies(rule: Rule, x: number): boolean {
  switch (rule.kind) {
    case "int":
      return Number.isInteger(x) && x >= rule.min;
    case "range":
      return (rule.minOpen ? x > rule.min : x >= rule.min) && (rule.maxOpen ? x < rule.max : x <= rule.max);
    case "unitFraction":
      return x > 0 && x <= 1 && Math.abs(1 / x - Math.round(1 / x)) < 1e-6;
    case "oneOf":
      return false;
  }
}

function describe(rule: Rule): string {
  switch (rule.kind) {
    case "int":
      return rule.min === 1 ? "a positive integer" : rule.min === 0 ? "a non-negative integer" : `an integer >= ${rule.min}`;
    case "range":
      if (rule.max === Infinity) return rule.minOpen ? `a number > ${rule.min}` : `a number >= ${rule.min}`;
      return `a number in ${rule.minOpen ? "(" : "["}${rule.min}, ${rule.max}${rule.maxOpen ? ")" : "]"}`;
    case "unitFraction":
      return "a scale 1/n (1, 0.5, 0.25, 0.125, ...)";
    case "oneOf":
      return `one of ${rule.values.join(", ")}`;
  }
}

function unknownKeyHint(key: string, valid: string[], here: string): string {
  const foreign = Object.hasOwn(FOREIGN_KEY_HINTS, key) ? FOREIGN_KEY_HINTS[key] : undefined;
  if (foreign) return foreign;
  const near = valid.find((k) => editDistance(k, key) <= Math.max(1, Math.floor(k.length / 4)));
  return `${near ? `did you mean ${near}? ` : ""}valid keys ${here ? `in ${here}` : "at the top level"}: ${valid.join(", ")}`;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length];
}

function show(value: unknown): string {
  if (value === undefined || value === null) return "nothing";
  if (typeof value === "number") return String(value); // NaN and Infinity too, which JSON would hide
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Side lengths of an h x w image after the anti-aliased downscale by `scale` (every 1/scale-th pixel). */
function scaledSize(h: number, w: number, scale: number): [number, number] {
  const step = Math.round(1 / scale);
  return [Math.ceil(h / step), Math.ceil(w / step)];
}

/**
 * The side of FOMM's discriminator's prediction map for an input of `size` px, 0 when the input
 * is too small: each block's unpadded 4x4 conv takes 3 px, each pooling but the last block's halves.
 */
function discriminatorOutputSize(size: number, numBlocks: number): number {
  let s = size;
  for (let i = 0; i < numBlocks && s >= 1; i++) s = i === numBlocks - 1 ? s - 3 : Math.floor((s - 3) / 2);
  return Math.max(s, 0);
}

/** How many times n can be halved exactly. */
function halvings(n: number): number {
  let k = 0;
  while (n % 2 === 0 && n > 0) [n, k] = [n / 2, k + 1];
  return k;
}

/** Checks between keys, after every value has passed its own check. */
function crossCheck(config: DimeConfig, fail: Fail): void {
  const [h, w, channels] = config.dataset_params.frame_shape;
  const model = config.model_params;
  if (channels !== model.common_params.num_channels)
    fail(
      ["dataset_params", "frame_shape"],
      `frames have ${channels} channels but model_params.common_params.num_channels is ${model.common_params.num_channels}`,
      "make the two agree",
    );

  // An hourglass halves its input num_blocks times and concatenates each upsampled map with the
  // skip of the same size, so each side must be divisible by 2^num_blocks.
  const kp = model.kp_detector_params;
  const dense = model.generator_params.dense_motion_params;
  const motionScaleKey = "model_params.generator_params.dense_motion_params.scale_factor";
  const hourglasses: [ConfigPath, string, number, number, string][] = [
    [
      ["model_params", "kp_detector_params", "num_blocks"],
      "the keypoint detector",
      kp.scale_factor,
      kp.num_blocks,
      "model_params.kp_detector_params.scale_factor",
    ],
    [
      ["model_params", "generator_params", "dense_motion_params", "num_blocks"],
      "the dense motion network",
      dense.scale_factor,
      dense.num_blocks,
      motionScaleKey,
    ],
    [
      ["model_params", "motion_ode_params", "num_blocks"],
      "the MotionODE dynamics",
      dense.scale_factor,
      model.motion_ode_params.num_blocks,
      motionScaleKey,
    ],
    [
      ["model_params", "self_flow_params", "num_blocks"],
      "the SelfFlow network",
      dense.scale_factor,
      model.self_flow_params.num_blocks,
      motionScaleKey,
    ],
  ];
  for (const [path, name, scale, blocks, scaleKey] of hourglasses) {
    const [sh, sw] = scaledSize(h, w, scale);
    const most = Math.min(halvings(sh), halvings(sw));
    if (blocks > most)
      fail(
        path,
        `${blocks} blocks halve ${name}'s ${sh}x${sw} input ${blocks} times, so each side must be divisible by ${2 ** blocks}`,
        `use at most ${most} blocks, or change ${scaleKey} or dataset_params.frame_shape`,
      );
  }
  const down = model.generator_params.num_down_blocks;
  const most = Math.min(halvings(h), halvings(w));
  if (down > most)
    fail(
      ["model_params", "generator_params", "num_down_blocks"],
      `${down} down blocks need the ${h}x${w} frame's sides divisible by ${2 ** down}`,
      `use at most ${most}, or change dataset_params.frame_shape`,
    );

  // The adversarial terms (FOMM's train.py runs them when generator_gan is not 0): one
  // feature-matching weight per discriminator block, and every scale's image big enough for the
  // blocks' unpadded 4x4 convolutions.
  const disc = model.discriminator_params;
  if (config.train_params.loss_weights.generator_gan !== 0) {
    const fm = config.train_params.loss_weights.feature_matching;
    if (fm.length !== disc.num_blocks)
      fail(
        ["train_params", "loss_weights", "feature_matching"],
        `${fm.length} weights for a discriminator of ${disc.num_blocks} blocks`,
        `give one weight per block (model_params.discriminator_params.num_blocks), e.g. [${Array(disc.num_blocks).fill(10).join(", ")}]`,
      );
    disc.scales.forEach((scale, i) => {
      const [sh, sw] = scaledSize(h, w, scale);
      if (discriminatorOutputSize(Math.min(sh, sw), disc.num_blocks) < 1)
        fail(
          ["model_params", "discriminator_params", "scales", i],
          `scale ${scale} gives ${sh}x${sw} images, too small for ${disc.num_blocks} discriminator blocks (4x4 convolutions without padding, 2x2 pooling)`,
          "drop that scale, or use fewer model_params.discriminator_params.num_blocks",
        );
    });
  }

  // VGG-19 pools once before each of relu2_1..relu5_1, so the deepest layer with a non-zero weight
  // (relu{d}_1) needs 2^(d-1) px; the perceptual loss refuses smaller images at its first step.
  const train = config.train_params;
  const depth = train.loss_weights.perceptual.reduce((deepest, weight, i) => (weight !== 0 ? i + 1 : deepest), 0);
  const need = 2 ** (depth - 1);
  if (train.perceptual === "vgg" && depth > 0)
    train.scales.forEach((scale, i) => {
      const [sh, sw] = scaledSize(h, w, scale);
      if (Math.min(sh, sw) < need)
        fail(
          ["train_params", "scales", i],
          `scale ${scale} gives ${sh}x${sw} images, too small for VGG-19 to reach relu${depth}_1 (at least ${need}x${need})`,
          "drop that scale, or use train_params.perceptual: pixel",
        );
    });
}
