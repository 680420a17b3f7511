// The tensor layer: libtorch tensors, autograd and lifetime scopes for TypeScript.
export { Tensor, type TensorOrScalar } from "./tensor.js";
export type { DType, TypedArrayOf, AnyTypedArray } from "./dtype.js";
export { bytesPerElement, isFloating, typedArrayView } from "./dtype.js";
export { cuda, canonicalDevice, parseDevice, type Device } from "./device.js";
export { UseAfterDisposeError } from "./errors.js";
export { tidy, keep, dispose, memory, type MemoryInfo } from "./scope.js";
export * from "./creation.js";
export { hostFloats } from "./transfer.js";
export * from "./ops.js";
export { Generator, defaultGenerator, manualSeed } from "./random.js";
export { GradMode, noGrad, enableGrad, isGradEnabled, inferenceMode, outsideInferenceMode, grad, type GradOptions } from "./autograd.js";
export { blasThreads, getNumThreads, setNumThreads, libtorchVersion } from "./threads.js";
export { retainFreedMemory } from "./allocator.js";
export * as F from "./functional.js";
export * as linalg from "./linalg.js";
export {
  AutocastScope,
  withAutocast,
  fp32Island,
  fp32Scope,
  widen,
  isAutocastEnabled,
  autocastDtypeOn,
  autocastState,
  autocastDeviceType,
  type AutocastDtype,
  type AutocastDeviceType,
  type AutocastState,
} from "./autocast.js";
export {
  cpuHasNativeBf16,
  resolvePrecision,
  precisionProblem,
  autocastDtypeOf,
  PRECISION_CHOICES,
  type Precision,
  type PrecisionChoice,
} from "./precision.js";
export * as distributed from "./distributed.js";
