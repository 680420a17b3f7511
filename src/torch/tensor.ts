// The Tensor class: a handle to one libtorch tensor with PyTorch's methods, camelCased.
//
// Every method that returns a tensor returns a new Tensor (owned by the current tidy() scope);
// methods ending in `_` work in place and return `this`. Binary methods take a tensor or a number
// and broadcast as PyTorch does.
import { native, type Handle } from "./binding.js";
import { dtypeCode, dtypeName, typedArrayFor, type DType, type TypedArrayOf } from "./dtype.js";
import type { Device } from "./device.js";
import { UseAfterDisposeError } from "./errors.js";
import { adopt, release, OWNED, type Owned } from "./scope.js";

export type Scalar = number;
export type TensorOrScalar = Tensor | number;
type Dims = number | readonly number[];

function h(value: TensorOrScalar, op: string): Handle | number {
  return typeof value === "number" ? value : value.handle(op);
}

export class Tensor implements Owned {
  readonly [OWNED] = true as const;
  #handle: Handle | undefined;
  #shape: readonly number[] | undefined;

  /** Wraps a native handle; use the factories (`tensor`, `zeros`, ...) instead of calling this. */
  constructor(handle: Handle) {
    this.#handle = handle;
    adopt(this, handle);
  }

  /** The native handle; throws UseAfterDisposeError (naming `op`) after dispose(). */
  handle(op = "tensor"): Handle {
    const handle = this.#handle;
    if (handle === undefined) throw new UseAfterDisposeError(op);
    return handle;
  }

  /** Frees the native tensor now. Safe to call twice. */
  dispose(): void {
    if (this.#handle === undefined) return;
    native.dispose(this.#handle);
    this.#handle = undefined;
    release(this);
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  get isDisposed(): boolean {
    return this.#handle === undefined;
  }

  // --- metadata
  get shape(): readonly number[] {
    this.#shape ??= Object.freeze(native.shape(this.handle("shape")));
    return this.#shape;
  }
  get ndim(): number {
    return this.shape.length;
  }
  get dtype(): DType {
    return dtypeName(native.dtype(this.handle("dtype")));
  }
  get device(): Device {
    return native.device(this.handle("device")) as Device;
  }
  get numel(): number {
    let n = 1;
    for (const s of this.shape) n *= s;
    return n;
  }
  size(dim: number): number {
    const shape = this.shape;
    const d = dim < 0 ? dim + shape.length : dim;
    if (d < 0 || d >= shape.length) throw new RangeError(`size(${dim}): tensor has ${shape.length} dimensions`);
    return shape[d];
  }
  isContiguous(): boolean {
    return native.isContiguous(this.handle("isContiguous"));
  }
  toString(): string {
    if (this.isDisposed) return "Tensor(disposed)";
    return `Tensor(shape=[${this.shape.join(", ")}], dtype=${this.dtype}, device=${this.device})`;
  }

  // --- data out
  /** The elements, row-major, copied into a new typed array of the tensor's dtype. */
  data<D extends DType = DType>(): TypedArrayOf[D] {
    return typedArrayFor(this.dtype as D, native.toBuffer(this.handle("data")));
  }
  /** The elements as plain numbers (int64 converted, 16-bit floats decoded through float32). */
  toArray(): number[] {
    const dtype = this.dtype;
    if (dtype === "float16" || dtype === "bfloat16") return this.float().toArrayAndDispose();
    const data = this.data();
    return data instanceof BigInt64Array ? Array.from(data, Number) : Array.from(data as ArrayLike<number>);
  }
  private toArrayAndDispose(): number[] {
    const out = this.toArray();
    this.dispose();
    return out;
  }
  /** The single element as a number. */
  item(): number {
    return native.item(this.handle("item"));
  }

  // --- conversion
  /**
   * A copy in another dtype or on another device. `nonBlocking` (devices only) returns before a
   * copy between pinned host memory and a GPU has finished, as PyTorch's non_blocking=True: wait
   * with cuda.synchronize() before reading a tensor copied to the CPU that way.
   */
  to(target: DType | Device, options: { nonBlocking?: boolean } = {}): Tensor {
    if (target === "cpu" || target.startsWith("cuda"))
      return new Tensor(native.toDevice(this.handle("to"), target, options.nonBlocking ?? false));
    return new Tensor(native.toDtype(this.handle("to"), dtypeCode(target as DType)));
  }
  float(): Tensor {
    return this.to("float32");
  }
  double(): Tensor {
    return this.to("float64");
  }
  long(): Tensor {
    return this.to("int64");
  }
  bool(): Tensor {
    return this.to("bool");
  }
  cpu(): Tensor {
    return this.to("cpu");
  }
  /** A copy of this CPU tensor in pinned (page-locked) host memory, for fast non-blocking copies to a GPU; needs CUDA. */
  pinMemory(): Tensor {
    return new Tensor(native.pinMemory(this.handle("pinMemory")));
  }
  /** True for a CPU tensor in pinned host memory (always false without CUDA). */
  get isPinned(): boolean {
    return native.isPinned(this.handle("isPinned"));
  }
  clone(): Tensor {
    return new Tensor(native.clone(this.handle("clone")));
  }
  contiguous(): Tensor {
    return new Tensor(native.contiguous(this.handle("contiguous")));
  }
  /** The same values in channels-last (NHWC) memory, shape unchanged (a 4-D tensor; oneDNN's faster layout for wide convolutions). */
  toChannelsLast(): Tensor {
    return new Tensor(native.toChannelsLast(this.handle("toChannelsLast")));
  }
  /** True when a 4-D tensor is laid out channels-last (NHWC). */
  isChannelsLast(): boolean {
    return native.isChannelsLast(this.handle("isChannelsLast"));
  }
  /** A tensor sharing this one's data, cut from the autograd graph. */
  detach(): Tensor {
    return new Tensor(native.detach(this.handle("detach")));
  }

  /**
   * Makes this tensor hold src's data (its dtype, device and shape too), keeping this Tensor's
   * identity and requiresGrad, as PyTorch's `t.data = src`. Used to move parameters in place.
   */
  setData_(src: Tensor): this {
    native.setData_(this.handle("setData_"), src.handle("setData_"));
    this.#shape = undefined;
    return this;
  }

  // --- autograd
  get requiresGrad(): boolean {
    return native.requiresGrad(this.handle("requiresGrad"));
  }
  requiresGrad_(value = true): this {
    native.setRequiresGrad(this.handle("requiresGrad_"), value);
    return this;
  }
  get isLeaf(): boolean {
    return native.isLeaf(this.handle("isLeaf"));
  }
  retainGrad(): this {
    native.retainGrad(this.handle("retainGrad"));
    return this;
  }
  /** The accumulated gradient (a new Tensor sharing its data), or undefined before backward(). */
  get grad(): Tensor | undefined {
    const g = native.grad(this.handle("grad"));
    return g === undefined ? undefined : new Tensor(g);
  }
  /** Replaces the gradient; undefined clears it (as `zero_grad(set_to_none=True)`). */
  setGrad(grad: Tensor | undefined): void {
    native.setGrad(this.handle("setGrad"), grad?.handle("setGrad"));
  }
  /** Backpropagates from this tensor; `gradient` is required unless it has one element. */
  backward(gradient?: Tensor, options: { retainGraph?: boolean; createGraph?: boolean } = {}): void {
    native.backward(this.handle("backward"), gradient?.handle("backward"), options.retainGraph, options.createGraph ?? false);
  }

  // --- shape
  reshape(...shape: number[]): Tensor {
    return new Tensor(native.reshape(this.handle("reshape"), shape));
  }
  view(...shape: number[]): Tensor {
    return new Tensor(native.view(this.handle("view"), shape));
  }
  permute(...dims: number[]): Tensor {
    return new Tensor(native.permute(this.handle("permute"), dims));
  }
  transpose(dim0: number, dim1: number): Tensor {
    return new Tensor(native.transpose(this.handle("transpose"), dim0, dim1));
  }
  /** The matrix transpose of the last two dimensions. */
  get mT(): Tensor {
    return this.transpose(-2, -1);
  }
  squeeze(dim?: number): Tensor {
    return new Tensor(native.squeeze(this.handle("squeeze"), dim));
  }
  unsqueeze(dim: number): Tensor {
    return new Tensor(native.unsqueeze(this.handle("unsqueeze"), dim));
  }
  flatten(startDim = 0, endDim = -1): Tensor {
    return new Tensor(native.flatten(this.handle("flatten"), startDim, endDim));
  }
  expand(...shape: number[]): Tensor {
    return new Tensor(native.expand(this.handle("expand"), shape));
  }
  expandAs(other: Tensor): Tensor {
    return this.expand(...other.shape);
  }
  repeat(...reps: number[]): Tensor {
    return new Tensor(native.repeat(this.handle("repeat"), reps));
  }
  flip(...dims: number[]): Tensor {
    return new Tensor(native.flip(this.handle("flip"), dims));
  }
  roll(shifts: Dims, dims: Dims): Tensor {
    return new Tensor(native.roll(this.handle("roll"), shifts, dims));
  }
  /** Chunks of `sizes` elements along `dim` (one size: equal chunks, the last may be smaller). */
  split(sizes: Dims, dim = 0): Tensor[] {
    return native.split(this.handle("split"), sizes, dim).map((x) => new Tensor(x));
  }
  chunk(chunks: number, dim = 0): Tensor[] {
    return native.chunk(this.handle("chunk"), chunks, dim).map((x) => new Tensor(x));
  }
  unbind(dim = 0): Tensor[] {
    return native.unbind(this.handle("unbind"), dim).map((x) => new Tensor(x));
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return new Tensor(native.narrow(this.handle("narrow"), dim, start, length));
  }
  /** Elements start..end (exclusive; negative counts from the end; undefined: to the edge) by step along dim. */
  slice(dim: number, start?: number, end?: number, step = 1): Tensor {
    return new Tensor(native.slice(this.handle("slice"), dim, start, end, step));
  }
  select(dim: number, index: number): Tensor {
    return new Tensor(native.select(this.handle("select"), dim, index));
  }
  indexSelect(dim: number, index: Tensor): Tensor {
    return new Tensor(native.indexSelect(this.handle("indexSelect"), dim, index.handle("indexSelect")));
  }
  /** Advanced indexing: one index tensor (or undefined for ':') per leading dimension. */
  index(...indices: (Tensor | undefined)[]): Tensor {
    const given = indices.filter((i): i is Tensor => i !== undefined).map((i) => i.handle("index"));
    const skipped = indices.flatMap((i, k) => (i === undefined ? [k] : []));
    return new Tensor(native.index(this.handle("index"), given, skipped));
  }
  gather(dim: number, index: Tensor): Tensor {
    return new Tensor(native.gather(this.handle("gather"), dim, index.handle("gather")));
  }
  scatter(dim: number, index: Tensor, src: Tensor): Tensor {
    return new Tensor(native.scatter(this.handle("scatter"), dim, index.handle("scatter"), src.handle("scatter")));
  }
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    return new Tensor(native.scatterAdd(this.handle("scatterAdd"), dim, index.handle("scatterAdd"), src.handle("scatterAdd")));
  }
  maskedFill(mask: Tensor, value: number): Tensor {
    return new Tensor(native.maskedFill(this.handle("maskedFill"), mask.handle("maskedFill"), value));
  }
  maskedSelect(mask: Tensor): Tensor {
    return new Tensor(native.maskedSelect(this.handle("maskedSelect"), mask.handle("maskedSelect")));
  }
  nonzero(): Tensor {
    return new Tensor(native.nonzero(this.handle("nonzero")));
  }
  tril(diagonal = 0): Tensor {
    return new Tensor(native.tril(this.handle("tril"), diagonal));
  }
  triu(diagonal = 0): Tensor {
    return new Tensor(native.triu(this.handle("triu"), diagonal));
  }

  // --- element-wise binary
  /** this + alpha * other */
  add(other: TensorOrScalar, alpha?: number): Tensor {
    return new Tensor(native.add(this.handle("add"), h(other, "add"), alpha));
  }
  /** this - alpha * other */
  sub(other: TensorOrScalar, alpha?: number): Tensor {
    return new Tensor(native.sub(this.handle("sub"), h(other, "sub"), alpha));
  }
  /** value - this */
  rsub(value: number): Tensor {
    return new Tensor(native.rsub(this.handle("rsub"), value));
  }
  /** value / this */
  rdiv(value: number): Tensor {
    return new Tensor(native.rdiv(this.handle("rdiv"), value));
  }
  mul(other: TensorOrScalar): Tensor {
    return new Tensor(native.mul(this.handle("mul"), h(other, "mul")));
  }
  div(other: TensorOrScalar): Tensor {
    return new Tensor(native.div(this.handle("div"), h(other, "div")));
  }
  pow(exponent: TensorOrScalar): Tensor {
    return new Tensor(native.pow(this.handle("pow"), h(exponent, "pow")));
  }
  remainder(other: TensorOrScalar): Tensor {
    return new Tensor(native.remainder(this.handle("remainder"), h(other, "remainder")));
  }
  fmod(other: TensorOrScalar): Tensor {
    return new Tensor(native.fmod(this.handle("fmod"), h(other, "fmod")));
  }
  maximum(other: Tensor): Tensor {
    return new Tensor(native.maximum(this.handle("maximum"), other.handle("maximum")));
  }
  minimum(other: Tensor): Tensor {
    return new Tensor(native.minimum(this.handle("minimum"), other.handle("minimum")));
  }
  atan2(other: Tensor): Tensor {
    return new Tensor(native.atan2(this.handle("atan2"), other.handle("atan2")));
  }
  lerp(end: Tensor, weight: TensorOrScalar): Tensor {
    return new Tensor(native.lerp(this.handle("lerp"), end.handle("lerp"), h(weight, "lerp")));
  }
  eq(other: TensorOrScalar): Tensor {
    return new Tensor(native.eq(this.handle("eq"), h(other, "eq")));
  }
  ne(other: TensorOrScalar): Tensor {
    return new Tensor(native.ne(this.handle("ne"), h(other, "ne")));
  }
  lt(other: TensorOrScalar): Tensor {
    return new Tensor(native.lt(this.handle("lt"), h(other, "lt")));
  }
  le(other: TensorOrScalar): Tensor {
    return new Tensor(native.le(this.handle("le"), h(other, "le")));
  }
  gt(other: TensorOrScalar): Tensor {
    return new Tensor(native.gt(this.handle("gt"), h(other, "gt")));
  }
  ge(other: TensorOrScalar): Tensor {
    return new Tensor(native.ge(this.handle("ge"), h(other, "ge")));
  }
  logicalAnd(other: Tensor): Tensor {
    return new Tensor(native.logicalAnd(this.handle("logicalAnd"), other.handle("logicalAnd")));
  }
  logicalOr(other: Tensor): Tensor {
    return new Tensor(native.logicalOr(this.handle("logicalOr"), other.handle("logicalOr")));
  }
  logicalXor(other: Tensor): Tensor {
    return new Tensor(native.logicalXor(this.handle("logicalXor"), other.handle("logicalXor")));
  }
  /** Matrix product with broadcasting (torch.matmul). */
  matmul(other: Tensor): Tensor {
    return new Tensor(native.matmul(this.handle("matmul"), other.handle("matmul")));
  }

  // --- element-wise unary
  neg(): Tensor {
    return new Tensor(native.neg(this.handle("neg")));
  }
  abs(): Tensor {
    return new Tensor(native.abs(this.handle("abs")));
  }
  exp(): Tensor {
    return new Tensor(native.exp(this.handle("exp")));
  }
  log(): Tensor {
    return new Tensor(native.log(this.handle("log")));
  }
  log1p(): Tensor {
    return new Tensor(native.log1p(this.handle("log1p")));
  }
  expm1(): Tensor {
    return new Tensor(native.expm1(this.handle("expm1")));
  }
  log2(): Tensor {
    return new Tensor(native.log2(this.handle("log2")));
  }
  sqrt(): Tensor {
    return new Tensor(native.sqrt(this.handle("sqrt")));
  }
  rsqrt(): Tensor {
    return new Tensor(native.rsqrt(this.handle("rsqrt")));
  }
  sin(): Tensor {
    return new Tensor(native.sin(this.handle("sin")));
  }
  cos(): Tensor {
    return new Tensor(native.cos(this.handle("cos")));
  }
  tan(): Tensor {
    return new Tensor(native.tan(this.handle("tan")));
  }
  asin(): Tensor {
    return new Tensor(native.asin(this.handle("asin")));
  }
  acos(): Tensor {
    return new Tensor(native.acos(this.handle("acos")));
  }
  atan(): Tensor {
    return new Tensor(native.atan(this.handle("atan")));
  }
  tanh(): Tensor {
    return new Tensor(native.tanh(this.handle("tanh")));
  }
  sigmoid(): Tensor {
    return new Tensor(native.sigmoid(this.handle("sigmoid")));
  }
  relu(): Tensor {
    return new Tensor(native.relu(this.handle("relu")));
  }
  gelu(): Tensor {
    return new Tensor(native.gelu(this.handle("gelu")));
  }
  selu(): Tensor {
    return new Tensor(native.selu(this.handle("selu")));
  }
  silu(): Tensor {
    return new Tensor(native.silu(this.handle("silu")));
  }
  erf(): Tensor {
    return new Tensor(native.erf(this.handle("erf")));
  }
  sign(): Tensor {
    return new Tensor(native.sign(this.handle("sign")));
  }
  floor(): Tensor {
    return new Tensor(native.floor(this.handle("floor")));
  }
  ceil(): Tensor {
    return new Tensor(native.ceil(this.handle("ceil")));
  }
  round(): Tensor {
    return new Tensor(native.round(this.handle("round")));
  }
  trunc(): Tensor {
    return new Tensor(native.trunc(this.handle("trunc")));
  }
  frac(): Tensor {
    return new Tensor(native.frac(this.handle("frac")));
  }
  reciprocal(): Tensor {
    return new Tensor(native.reciprocal(this.handle("reciprocal")));
  }
  square(): Tensor {
    return new Tensor(native.square(this.handle("square")));
  }
  logicalNot(): Tensor {
    return new Tensor(native.logicalNot(this.handle("logicalNot")));
  }
  isnan(): Tensor {
    return new Tensor(native.isnan(this.handle("isnan")));
  }
  isinf(): Tensor {
    return new Tensor(native.isinf(this.handle("isinf")));
  }
  isfinite(): Tensor {
    return new Tensor(native.isfinite(this.handle("isfinite")));
  }
  logSigmoid(): Tensor {
    return new Tensor(native.logSigmoid(this.handle("logSigmoid")));
  }
  leakyRelu(negativeSlope = 0.01): Tensor {
    return new Tensor(native.leakyRelu(this.handle("leakyRelu"), negativeSlope));
  }
  elu(alpha = 1): Tensor {
    return new Tensor(native.elu(this.handle("elu"), alpha));
  }
  softplus(beta = 1, threshold = 20): Tensor {
    return new Tensor(native.softplus(this.handle("softplus"), beta, threshold));
  }
  hardtanh(min = -1, max = 1): Tensor {
    return new Tensor(native.hardtanh(this.handle("hardtanh"), min, max));
  }
  /** Clamps to [min, max]; either bound may be undefined. */
  clamp(min?: number, max?: number): Tensor {
    return new Tensor(native.clamp(this.handle("clamp"), min, max));
  }
  nanToNum(nan?: number, posinf?: number, neginf?: number): Tensor {
    return new Tensor(native.nanToNum(this.handle("nanToNum"), nan, posinf, neginf));
  }
  softmax(dim: number): Tensor {
    return new Tensor(native.softmax(this.handle("softmax"), dim));
  }
  logSoftmax(dim: number): Tensor {
    return new Tensor(native.logSoftmax(this.handle("logSoftmax"), dim));
  }

  // --- in place (no autograd history needed; optimizers and initialisers run them under noGrad)
  add_(other: TensorOrScalar, alpha?: number): this {
    native.add_(this.handle("add_"), h(other, "add_"), alpha);
    return this;
  }
  sub_(other: TensorOrScalar, alpha = 1): this {
    native.add_(this.handle("sub_"), h(other, "sub_"), -alpha);
    return this;
  }
  mul_(other: TensorOrScalar): this {
    native.mul_(this.handle("mul_"), h(other, "mul_"));
    return this;
  }
  div_(other: TensorOrScalar): this {
    native.div_(this.handle("div_"), h(other, "div_"));
    return this;
  }
  /** this += value * a * b */
  addcmul_(a: Tensor, b: Tensor, value = 1): this {
    native.addcmul_(this.handle("addcmul_"), a.handle("addcmul_"), b.handle("addcmul_"), value);
    return this;
  }
  /** this += value * a / b */
  addcdiv_(a: Tensor, b: Tensor, value = 1): this {
    native.addcdiv_(this.handle("addcdiv_"), a.handle("addcdiv_"), b.handle("addcdiv_"), value);
    return this;
  }
  lerp_(end: Tensor, weight: number): this {
    native.lerp_(this.handle("lerp_"), end.handle("lerp_"), weight);
    return this;
  }
  copy_(src: Tensor): this {
    native.copy_(this.handle("copy_"), src.handle("copy_"));
    return this;
  }
  zero_(): this {
    native.zero_(this.handle("zero_"));
    return this;
  }
  /** max(x, 0) in place. */
  relu_(): this {
    native.relu_(this.handle("relu_"));
    return this;
  }
  fill_(value: number): this {
    native.fill_(this.handle("fill_"), value);
    return this;
  }
  clamp_(min?: number, max?: number): this {
    native.clamp_(this.handle("clamp_"), min, max);
    return this;
  }

  // --- reductions (dims undefined: over all elements)
  sum(dims?: Dims, keepdim = false): Tensor {
    return new Tensor(native.sum(this.handle("sum"), dims, keepdim));
  }
  mean(dims?: Dims, keepdim = false): Tensor {
    return new Tensor(native.mean(this.handle("mean"), dims, keepdim));
  }
  prod(dim?: number, keepdim = false): Tensor {
    return new Tensor(native.prod(this.handle("prod"), dim, keepdim));
  }
  /** Largest element over dims (all when undefined). */
  amax(dims?: Dims, keepdim = false): Tensor {
    return new Tensor(native.amax(this.handle("amax"), dims, keepdim));
  }
  amin(dims?: Dims, keepdim = false): Tensor {
    return new Tensor(native.amin(this.handle("amin"), dims, keepdim));
  }
  /** Largest values along dim and their indices. */
  max(dim: number, keepdim = false): { values: Tensor; indices: Tensor } {
    const [values, indices] = native.maxDim(this.handle("max"), dim, keepdim);
    return { values: new Tensor(values), indices: new Tensor(indices) };
  }
  min(dim: number, keepdim = false): { values: Tensor; indices: Tensor } {
    const [values, indices] = native.minDim(this.handle("min"), dim, keepdim);
    return { values: new Tensor(values), indices: new Tensor(indices) };
  }
  argmax(dim?: number, keepdim = false): Tensor {
    return new Tensor(native.argmax(this.handle("argmax"), dim, keepdim));
  }
  argmin(dim?: number, keepdim = false): Tensor {
    return new Tensor(native.argmin(this.handle("argmin"), dim, keepdim));
  }
  /** Variance; correction 1 (default) is the unbiased estimate, 0 the population variance. */
  var(dims?: Dims, options: { correction?: number; keepdim?: boolean } = {}): Tensor {
    return new Tensor(native.var(this.handle("var"), dims, options.correction ?? 1, options.keepdim ?? false));
  }
  std(dims?: Dims, options: { correction?: number; keepdim?: boolean } = {}): Tensor {
    return new Tensor(native.std(this.handle("std"), dims, options.correction ?? 1, options.keepdim ?? false));
  }
  norm(p = 2, dims?: Dims, keepdim = false): Tensor {
    return new Tensor(native.norm(this.handle("norm"), p, dims, keepdim));
  }
  logsumexp(dims: Dims, keepdim = false): Tensor {
    return new Tensor(native.logsumexp(this.handle("logsumexp"), dims, keepdim));
  }
  cumsum(dim: number): Tensor {
    return new Tensor(native.cumsum(this.handle("cumsum"), dim));
  }
  cumprod(dim: number): Tensor {
    return new Tensor(native.cumprod(this.handle("cumprod"), dim));
  }
  all(dim?: number, keepdim = false): Tensor {
    return new Tensor(native.all(this.handle("all"), dim, keepdim));
  }
  any(dim?: number, keepdim = false): Tensor {
    return new Tensor(native.any(this.handle("any"), dim, keepdim));
  }
  sort(dim = -1, descending = false): { values: Tensor; indices: Tensor } {
    const [values, indices] = native.sort(this.handle("sort"), dim, descending);
    return { values: new Tensor(values), indices: new Tensor(indices) };
  }
  topk(k: number, dim = -1, largest = true): { values: Tensor; indices: Tensor } {
    const [values, indices] = native.topk(this.handle("topk"), k, dim, largest);
    return { values: new Tensor(values), indices: new Tensor(indices) };
  }
  /** True when every element is within atol + rtol * |other| (shapes must broadcast). */
  allclose(other: Tensor, rtol = 1e-5, atol = 1e-8): boolean {
    return native.allclose(this.handle("allclose"), other.handle("allclose"), rtol, atol);
  }
  /** True when shapes and every element are equal. */
  equal(other: Tensor): boolean {
    return native.equal(this.handle("equal"), other.handle("equal"));
  }
}
