// Tensor factories: from JS data, constants, ranges and random numbers.
import { native } from "./binding.js";
import { dtypeCode, dtypeOfArray, type DType } from "./dtype.js";
import type { Device } from "./device.js";
import type { Generator } from "./random.js";
import { Tensor } from "./tensor.js";

export interface Options {
  dtype?: DType;
  device?: Device;
}
export interface RandomOptions extends Options {
  generator?: Generator;
}

type Nested = number | boolean | Nested[];

function shapeOf(data: Nested): number[] {
  const shape: number[] = [];
  let level: Nested = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  return shape;
}

function fill(data: Nested, shape: number[], depth: number, out: number[]): void {
  if (depth === shape.length) {
    if (Array.isArray(data)) throw new TypeError("tensor(): ragged nested array (sub-arrays differ in depth)");
    out.push(typeof data === "boolean" ? (data ? 1 : 0) : data);
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[depth]) throw new TypeError(`tensor(): ragged nested array at depth ${depth}`);
  for (const item of data) fill(item, shape, depth + 1, out);
}

/** Converts a plain number array to the typed array holding `dtype`. */
function packed(values: number[], dtype: DType): ArrayBufferView {
  switch (dtype) {
    case "float32":
      return Float32Array.from(values);
    case "float64":
      return Float64Array.from(values);
    case "int64":
      return BigInt64Array.from(values, (v) => BigInt(Math.trunc(v)));
    case "int32":
      return Int32Array.from(values);
    case "int16":
      return Int16Array.from(values);
    case "int8":
      return Int8Array.from(values);
    case "uint8":
    case "bool":
      return Uint8Array.from(values, (v) => (dtype === "bool" ? (v ? 1 : 0) : v));
    case "float16":
    case "bfloat16":
      return Float32Array.from(values);
  }
}

/**
 * A tensor from nested arrays of numbers (or booleans) or a typed array (1-D unless `shape` is
 * given through fromArray). The dtype defaults to float32 for numbers, bool for booleans and the
 * typed array's own type otherwise.
 */
export function tensor(data: Nested | ArrayBufferView, options: Options = {}): Tensor {
  if (ArrayBuffer.isView(data)) return fromArray(data, [(data as unknown as ArrayLike<number>).length], options);
  const shape = shapeOf(data);
  const values: number[] = [];
  fill(data, shape, 0, values);
  const isBool = values.length > 0 && typeof firstLeaf(data) === "boolean";
  const dtype = options.dtype ?? (isBool ? "bool" : "float32");
  if (dtype === "float16" || dtype === "bfloat16") {
    const t = fromArray(packed(values, dtype), shape, { dtype: "float32", device: options.device });
    const out = t.to(dtype);
    t.dispose();
    return out;
  }
  return fromArray(packed(values, dtype), shape, { dtype, device: options.device });
}

function firstLeaf(data: Nested): number | boolean {
  let level: Nested = data;
  while (Array.isArray(level)) level = level[0];
  return level;
}

/**
 * A tensor holding a copy of `data` with the given shape. `dtype` defaults to the typed array's
 * type; 16-bit float dtypes take their raw bits in a Uint16Array.
 */
export function fromArray(data: ArrayBufferView, shape: readonly number[], options: Options = {}): Tensor {
  const dtype = options.dtype ?? dtypeOfArray(data);
  if (dtype === undefined) throw new TypeError("fromArray(): give options.dtype for this typed array");
  return new Tensor(native.fromBuffer(data, shape, dtypeCode(dtype), options.device));
}

/**
 * A CPU tensor holding the bytes of an open file (a descriptor from fs.openSync) at `position`,
 * read by libtorch straight into the tensor's memory; little-endian data on a little-endian
 * machine, as typed arrays. Throws when the file ends first.
 */
export function fromFile(fd: number, position: number, shape: readonly number[], dtype: DType): Tensor {
  return new Tensor(native.fromFile(fd, position, shape, dtypeCode(dtype)));
}

export function empty(shape: readonly number[], options: Options = {}): Tensor {
  return new Tensor(native.empty(shape, dtypeCode(options.dtype ?? "float32"), options.device));
}
export function zeros(shape: readonly number[], options: Options = {}): Tensor {
  return new Tensor(native.zeros(shape, dtypeCode(options.dtype ?? "float32"), options.device));
}
export function ones(shape: readonly number[], options: Options = {}): Tensor {
  return new Tensor(native.ones(shape, dtypeCode(options.dtype ?? "float32"), options.device));
}
export function full(shape: readonly number[], value: number, options: Options = {}): Tensor {
  return new Tensor(native.full(shape, value, dtypeCode(options.dtype ?? "float32"), options.device));
}
export function zerosLike(t: Tensor, options: Options = {}): Tensor {
  return zeros(t.shape, { dtype: options.dtype ?? t.dtype, device: options.device ?? t.device });
}
export function onesLike(t: Tensor, options: Options = {}): Tensor {
  return ones(t.shape, { dtype: options.dtype ?? t.dtype, device: options.device ?? t.device });
}
export function fullLike(t: Tensor, value: number, options: Options = {}): Tensor {
  return full(t.shape, value, { dtype: options.dtype ?? t.dtype, device: options.device ?? t.device });
}
export function eye(n: number, options: Options = {}): Tensor {
  return new Tensor(native.eye(n, dtypeCode(options.dtype ?? "float32"), options.device));
}
/** start, start+step, ... < end (int64 when all three are integers and no dtype is given). */
export function arange(start: number, end?: number, step = 1, options: Options = {}): Tensor {
  const [from, to] = end === undefined ? [0, start] : [start, end];
  const integral = Number.isInteger(from) && Number.isInteger(to) && Number.isInteger(step);
  const dtype = options.dtype ?? (integral ? "int64" : "float32");
  return new Tensor(native.arange(from, to, step, dtypeCode(dtype), options.device));
}
/** `steps` evenly spaced values from start to end inclusive. */
export function linspace(start: number, end: number, steps: number, options: Options = {}): Tensor {
  return new Tensor(native.linspace(start, end, steps, dtypeCode(options.dtype ?? "float32"), options.device));
}

/** Uniform on [0, 1). */
export function rand(shape: readonly number[], options: RandomOptions = {}): Tensor {
  return new Tensor(native.rand(shape, dtypeCode(options.dtype ?? "float32"), options.device, options.generator?.handle));
}
/** Standard normal. */
export function randn(shape: readonly number[], options: RandomOptions = {}): Tensor {
  return new Tensor(native.randn(shape, dtypeCode(options.dtype ?? "float32"), options.device, options.generator?.handle));
}
/** Integers uniform on [low, high), int64. */
export function randint(low: number, high: number, shape: readonly number[], options: RandomOptions = {}): Tensor {
  return new Tensor(native.randint(low, high, shape, options.device, options.generator?.handle));
}
/** A random permutation of 0..n-1, int64. */
export function randperm(n: number, options: RandomOptions = {}): Tensor {
  return new Tensor(native.randperm(n, options.device, options.generator?.handle));
}
/** 0/1 draws with probabilities p (same dtype as p). */
export function bernoulli(p: Tensor, generator?: Generator): Tensor {
  return new Tensor(native.bernoulli(p.handle("bernoulli"), generator?.handle));
}
/** Fills t in place from U(low, high). */
export function uniform_(t: Tensor, low: number, high: number, generator?: Generator): Tensor {
  native.uniform_(t.handle("uniform_"), low, high, generator?.handle);
  return t;
}
/** Fills t in place from N(mean, std^2). */
export function normal_(t: Tensor, mean: number, std: number, generator?: Generator): Tensor {
  native.normal_(t.handle("normal_"), mean, std, generator?.handle);
  return t;
}
