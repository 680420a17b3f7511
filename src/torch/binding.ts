// The only door to the native addon: loads build/Release/dime_native.node (or $DIME_ADDON) and
// declares, with types, everything it exports. Nothing else in the project requires the .node file.
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

/**
 * An id of one libtorch tensor in the addon's table (a BigInt: slot and generation), owned by a
 * `Tensor` of the layer above.
 */
export type Handle = bigint & { readonly __brand: "TensorHandle" };
/** An opaque handle to a libtorch random number generator. */
export type GeneratorHandle = { readonly __brand: "GeneratorHandle" };

type H = Handle;
type Num = H | number;
type Opt<T> = T | undefined;
type Ints = number | readonly number[];

/** Element-wise ops that take one tensor and return one. */
export type UnaryOp =
  | "neg"
  | "abs"
  | "exp"
  | "log"
  | "log1p"
  | "expm1"
  | "log2"
  | "sqrt"
  | "rsqrt"
  | "sin"
  | "cos"
  | "tan"
  | "asin"
  | "acos"
  | "atan"
  | "tanh"
  | "sigmoid"
  | "relu"
  | "gelu"
  | "selu"
  | "silu"
  | "erf"
  | "sign"
  | "floor"
  | "ceil"
  | "round"
  | "trunc"
  | "frac"
  | "reciprocal"
  | "square"
  | "logicalNot"
  | "isnan"
  | "isinf"
  | "isfinite"
  | "logSigmoid";

export interface Native extends Record<UnaryOp, (t: H) => H> {
  // runtime
  version(): string;
  numThreads(): number;
  blasThreads(): number;
  setNumThreads(n: number): void;
  retainFreedMemory(mmapThreshold: number, trimThreshold: number): boolean;
  cudaAvailable(): boolean;
  cudaDeviceCount(): number;
  cudaSynchronize(): void;
  liveTensors(): number;
  // distributed (native/distributed.cc; src/torch/distributed.ts)
  distInit(host: string, port: number, rank: number, worldSize: number, timeoutMs: number, backend: string, localHost: string): number;
  distIsInitialized(): boolean;
  distRank(): number;
  distWorldSize(): number;
  distHasNccl(): boolean;
  distAllReduce(tensors: H[]): void;
  distBroadcast(tensors: H[], root: number): void;
  distAllReduceSum(t: H): H;
  distBarrier(): void;
  distBuckets(params: H[], bucketBytes: number, firstBucketBytes: number): number;
  distPrepareBackward(): void;
  distFinishGradients(): void;
  distStoreGet(key: string, timeoutMs: number): string;
  distStoreSet(key: string, value: string): void;
  distStoreCheck(key: string): boolean;
  distSilentRanks(waitMs: number): number[];
  distShutdown(): void;
  manualSeed(seed: number): void;
  newGenerator(seed: number): GeneratorHandle;
  defaultGenerator(): GeneratorHandle;
  cudaDefaultGenerator(index: number): GeneratorHandle;
  generatorSeed(g: GeneratorHandle, seed: number): void;
  generatorGetState(g: GeneratorHandle): H;
  generatorSetState(g: GeneratorHandle, state: H): void;
  isGradEnabled(): boolean;
  setGradEnabled(enabled: boolean): boolean;
  enterInferenceMode(enabled?: boolean): number;
  exitInferenceMode(depth: number): void;
  isInferenceMode(): boolean;
  autocastSetEnabled(deviceType: "cpu" | "cuda", enabled: boolean): boolean;
  autocastIsEnabled(deviceType: "cpu" | "cuda"): boolean;
  autocastSetDtype(deviceType: "cpu" | "cuda", dtype: number): number;
  autocastGetDtype(deviceType: "cpu" | "cuda"): number;
  autocastEnter(): number;
  autocastExit(): number;
  // metadata and lifetime
  shape(t: H): number[];
  dtype(t: H): number;
  device(t: H): string;
  isDisposed(t: H): boolean;
  dispose(t: H): boolean;
  item(t: H): number;
  isContiguous(t: H): boolean;
  sameData(a: H, b: H): boolean;
  // creation and conversion
  fromBuffer(data: ArrayBufferView, shape: readonly number[], dtype: number, device?: string): H;
  fromFile(fd: number, position: number, shape: readonly number[], dtype: number): H;
  toBuffer(t: H): ArrayBuffer;
  empty(shape: Ints, dtype: number, device?: string): H;
  zeros(shape: Ints, dtype: number, device?: string): H;
  ones(shape: Ints, dtype: number, device?: string): H;
  full(shape: Ints, value: number, dtype: number, device?: string): H;
  eye(n: number, dtype: number, device?: string): H;
  arange(start: number, end: number, step: number, dtype: number, device?: string): H;
  linspace(start: number, end: number, steps: number, dtype: number, device?: string): H;
  rand(shape: Ints, dtype: number, device?: string, gen?: GeneratorHandle): H;
  randn(shape: Ints, dtype: number, device?: string, gen?: GeneratorHandle): H;
  randint(low: number, high: number, shape: Ints, device?: string, gen?: GeneratorHandle): H;
  randperm(n: number, device?: string, gen?: GeneratorHandle): H;
  bernoulli(p: H, gen?: GeneratorHandle): H;
  uniform_(t: H, low: number, high: number, gen?: GeneratorHandle): void;
  normal_(t: H, mean: number, std: number, gen?: GeneratorHandle): void;
  toDtype(t: H, dtype: number): H;
  toDevice(t: H, device: string, nonBlocking?: boolean): H;
  pinMemory(t: H): H;
  isPinned(t: H): boolean;
  clone(t: H): H;
  contiguous(t: H): H;
  toChannelsLast(t: H): H;
  isChannelsLast(t: H): boolean;
  relu_(t: H): void;
  detach(t: H): H;
  setData_(t: H, src: H): void;
  // shape and indexing
  reshape(t: H, shape: Ints): H;
  view(t: H, shape: Ints): H;
  permute(t: H, dims: Ints): H;
  transpose(t: H, d0: number, d1: number): H;
  squeeze(t: H, dim?: number): H;
  unsqueeze(t: H, dim: number): H;
  flatten(t: H, start: number, end: number): H;
  expand(t: H, shape: Ints): H;
  repeat(t: H, reps: Ints): H;
  flip(t: H, dims: Ints): H;
  roll(t: H, shifts: Ints, dims: Ints): H;
  cat(ts: H[], dim: number): H;
  stack(ts: H[], dim: number): H;
  split(t: H, sizes: Ints, dim: number): H[];
  chunk(t: H, chunks: number, dim: number): H[];
  unbind(t: H, dim: number): H[];
  narrow(t: H, dim: number, start: number, length: number): H;
  slice(t: H, dim: number, start: Opt<number>, end: Opt<number>, step: number): H;
  select(t: H, dim: number, index: number): H;
  indexSelect(t: H, dim: number, index: H): H;
  gather(t: H, dim: number, index: H): H;
  scatter(t: H, dim: number, index: H, src: H): H;
  scatterAdd(t: H, dim: number, index: H, src: H): H;
  maskedFill(t: H, mask: H, value: number): H;
  maskedSelect(t: H, mask: H): H;
  where(cond: H, a: H, b: H): H;
  nonzero(t: H): H;
  tril(t: H, diagonal?: number): H;
  triu(t: H, diagonal?: number): H;
  pad(t: H, pads: Ints, mode: string, value?: number): H;
  index(t: H, indices: H[], skipped: number[]): H;
  // element-wise
  add(a: H, b: Num, alpha?: number): H;
  sub(a: H, b: Num, alpha?: number): H;
  rsub(a: H, b: number): H;
  rdiv(a: H, b: number): H;
  mul(a: H, b: Num): H;
  div(a: H, b: Num): H;
  pow(a: H, b: Num): H;
  remainder(a: H, b: Num): H;
  fmod(a: H, b: Num): H;
  eq(a: H, b: Num): H;
  ne(a: H, b: Num): H;
  lt(a: H, b: Num): H;
  le(a: H, b: Num): H;
  gt(a: H, b: Num): H;
  ge(a: H, b: Num): H;
  maximum(a: H, b: H): H;
  minimum(a: H, b: H): H;
  atan2(a: H, b: H): H;
  logicalAnd(a: H, b: H): H;
  logicalOr(a: H, b: H): H;
  logicalXor(a: H, b: H): H;
  lerp(a: H, b: H, w: Num): H;
  leakyRelu(t: H, slope: number): H;
  elu(t: H, alpha: number): H;
  softplus(t: H, beta: number, threshold: number): H;
  hardtanh(t: H, min: number, max: number): H;
  clamp(t: H, min?: number, max?: number): H;
  nanToNum(t: H, nan?: number, posinf?: number, neginf?: number): H;
  softmax(t: H, dim: number): H;
  logSoftmax(t: H, dim: number): H;
  dropout(t: H, p: number, train: boolean): H;
  // in place
  add_(t: H, other: Num, alpha?: number): void;
  mul_(t: H, other: Num): void;
  div_(t: H, other: Num): void;
  addcmul_(t: H, a: H, b: H, value: number): void;
  addcdiv_(t: H, a: H, b: H, value: number): void;
  lerp_(t: H, end: H, weight: number): void;
  adamStep_(
    params: H[],
    grads: H[],
    expAvgs: H[],
    expAvgSqs: H[],
    steps: number[],
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
  ): void;
  copy_(t: H, src: H): void;
  zero_(t: H): void;
  fill_(t: H, value: number): void;
  clamp_(t: H, min?: number, max?: number): void;
  // reductions
  sum(t: H, dims: Opt<Ints>, keepdim: boolean): H;
  mean(t: H, dims: Opt<Ints>, keepdim: boolean): H;
  prod(t: H, dim: Opt<number>, keepdim: boolean): H;
  amax(t: H, dims: Opt<Ints>, keepdim: boolean): H;
  amin(t: H, dims: Opt<Ints>, keepdim: boolean): H;
  maxDim(t: H, dim: number, keepdim: boolean): [H, H];
  minDim(t: H, dim: number, keepdim: boolean): [H, H];
  argmax(t: H, dim?: number, keepdim?: boolean): H;
  argmin(t: H, dim?: number, keepdim?: boolean): H;
  var(t: H, dims: Opt<Ints>, correction: number, keepdim: boolean): H;
  std(t: H, dims: Opt<Ints>, correction: number, keepdim: boolean): H;
  norm(t: H, p: number, dims: Opt<Ints>, keepdim: boolean): H;
  logsumexp(t: H, dims: Ints, keepdim: boolean): H;
  cumsum(t: H, dim: number): H;
  cumprod(t: H, dim: number): H;
  all(t: H, dim?: number, keepdim?: boolean): H;
  any(t: H, dim?: number, keepdim?: boolean): H;
  sort(t: H, dim: number, descending: boolean): [H, H];
  topk(t: H, k: number, dim: number, largest: boolean): [H, H];
  allclose(a: H, b: H, rtol: number, atol: number): boolean;
  equal(a: H, b: H): boolean;
  // linear algebra
  matmul(a: H, b: H): H;
  mm(a: H, b: H): H;
  bmm(a: H, b: H): H;
  linear(x: H, w: H, b?: H): H;
  outer(a: H, b: H): H;
  einsum(equation: string, ts: H[]): H;
  cdist(a: H, b: H, p: number): H;
  solve(a: H, b: H): H;
  inverse(t: H): H;
  det(t: H): H;
  cholesky(t: H): H;
  eigh(t: H, uplo?: string): [H, H];
  svd(t: H, fullMatrices: boolean): [H, H, H];
  sqrtmPsd(t: H): H;
  // nn
  conv2d(x: H, w: H, b: Opt<H>, stride: Ints, padding: Ints, dilation: Ints, groups: number): H;
  convTranspose2d(x: H, w: H, b: Opt<H>, stride: Ints, padding: Ints, outputPadding: Ints, groups: number, dilation: Ints): H;
  batchNorm(x: H, w: Opt<H>, b: Opt<H>, rm: Opt<H>, rv: Opt<H>, training: boolean, momentum: number, eps: number): H;
  instanceNorm(x: H, w: Opt<H>, b: Opt<H>, rm: Opt<H>, rv: Opt<H>, useInputStats: boolean, momentum: number, eps: number): H;
  layerNorm(x: H, shape: Ints, w: Opt<H>, b: Opt<H>, eps: number): H;
  groupNorm(x: H, groups: number, w: Opt<H>, b: Opt<H>, eps: number): H;
  avgPool2d(x: H, kernel: Ints, stride: Ints, padding: Ints, ceilMode: boolean, countIncludePad: boolean): H;
  maxPool2d(x: H, kernel: Ints, stride: Ints, padding: Ints, dilation: Ints, ceilMode: boolean): H;
  adaptiveAvgPool2d(x: H, size: Ints): H;
  upsampleNearest2d(x: H, size: Ints, scaleH?: number, scaleW?: number): H;
  upsampleBilinear2d(x: H, size: Ints, alignCorners: boolean, scaleH?: number, scaleW?: number): H;
  upsampleBicubic2d(x: H, size: Ints, alignCorners: boolean, scaleH?: number, scaleW?: number): H;
  gridSample(x: H, grid: H, mode: number, padding: number, alignCorners: boolean): H;
  l1Loss(a: H, b: H, reduction: number): H;
  mseLoss(a: H, b: H, reduction: number): H;
  bceWithLogits(logits: H, target: H, weight: Opt<H>, reduction: number): H;
  crossEntropy(logits: H, target: H, weight: Opt<H>, reduction: number): H;
  // autograd
  requiresGrad(t: H): boolean;
  setRequiresGrad(t: H, value: boolean): void;
  isLeaf(t: H): boolean;
  retainGrad(t: H): void;
  grad(t: H): H | undefined;
  setGrad(t: H, g?: H): void;
  backward(t: H, grad?: H, retainGraph?: boolean, createGraph?: boolean): void;
  gradOf(
    outputs: H[],
    inputs: H[],
    gradOutputs: Opt<H[]>,
    retainGraph?: boolean,
    createGraph?: boolean,
    allowUnused?: boolean,
  ): (H | undefined)[];
}

// DIME_ADDON names another build of the addon (scripts/check-libtorch.sh: one against a second
// libtorch, built in its own folder); without it, the package's own build.
function locate(): string {
  const chosen = process.env.DIME_ADDON;
  if (chosen) {
    if (!existsSync(chosen)) throw new Error(`dime: DIME_ADDON=${chosen} does not exist; build it with node native/build.mjs --out DIR`);
    return chosen;
  }
  const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
  const path = join(root, "build/Release/dime_native.node");
  if (!existsSync(path)) {
    throw new Error(
      `dime: the native addon is not built (${path} is missing). Run ./setup.sh, or \`npm run build:native\` if libtorch is already installed.`,
    );
  }
  return path;
}

export const native: Native = createRequire(import.meta.url)(locate()) as Native;

/**
 * The preload library built beside the addon (native/bind-address.c) that makes a wildcard bind()
 * bind $DIME_BIND_ADDR instead, or undefined when it was not built. Not loaded here: the launcher
 * of distributed training gives it to its ranks through LD_PRELOAD.
 */
export function bindAddressLibrary(): string | undefined {
  const path = join(dirname(locate()), "dime_bind_address.so");
  return existsSync(path) ? path : undefined;
}
