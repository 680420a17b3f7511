// Grad modes and gradients of outputs with respect to inputs.
import { native } from "./binding.js";
import { Tensor } from "./tensor.js";

/** A scope with gradient recording switched off or on; close it with `using` or dispose(). */
export class GradMode implements Disposable {
  readonly #previous: boolean;
  constructor(enabled: boolean) {
    this.#previous = native.setGradEnabled(enabled);
  }
  [Symbol.dispose](): void {
    native.setGradEnabled(this.#previous);
  }
  dispose(): void {
    this[Symbol.dispose]();
  }
}

/** Runs fn without recording operations for autograd (torch.no_grad). */
export function noGrad<T>(fn: () => T): T {
  using _ = new GradMode(false);
  return fn();
}

/** Runs fn with recording switched on (inside a noGrad scope, say). */
export function enableGrad<T>(fn: () => T): T {
  using _ = new GradMode(true);
  return fn();
}

export function isGradEnabled(): boolean {
  return native.isGradEnabled();
}

/**
 * Runs fn in libtorch's inference mode (torch.inference_mode): no autograd and no version
 * counters, faster than noGrad. Tensors made inside cannot be used in autograd later. Scopes must
 * nest; fn must be synchronous.
 */
export function inferenceMode<T>(fn: () => T): T {
  return inferenceModeScope(true, fn, "inferenceMode()");
}

/**
 * Runs fn with inference mode off, inside an inference-mode scope or not (c10::InferenceMode(false)):
 * tensors made there are ordinary ones, usable later outside inference mode too (views, in-place
 * updates), e.g. a cache filled during an inference pass. Gradient recording is on there, as
 * libtorch sets it; wrap fn's work in noGrad when it should not be recorded. fn must be synchronous.
 */
export function outsideInferenceMode<T>(fn: () => T): T {
  return inferenceModeScope(false, fn, "outsideInferenceMode()");
}

function inferenceModeScope<T>(enabled: boolean, fn: () => T, what: string): T {
  const depth = native.enterInferenceMode(enabled);
  try {
    const result = fn();
    if (result instanceof Promise) throw new TypeError(`${what} needs a synchronous function`);
    return result;
  } finally {
    native.exitInferenceMode(depth);
  }
}

export interface GradOptions {
  /** Gradients of the outputs (needed for outputs with more than one element). */
  gradOutputs?: Tensor[];
  retainGraph?: boolean;
  /** Record the gradient computation so that it can be differentiated again. */
  createGraph?: boolean;
  /** Return undefined for inputs the outputs do not depend on instead of throwing. */
  allowUnused?: boolean;
}

/** Gradients of the outputs with respect to the inputs, without touching `.grad` (torch.autograd.grad). */
export function grad(outputs: Tensor | Tensor[], inputs: Tensor | Tensor[], options: GradOptions = {}): (Tensor | undefined)[] {
  const outs = (Array.isArray(outputs) ? outputs : [outputs]).map((t) => t.handle("grad"));
  const ins = (Array.isArray(inputs) ? inputs : [inputs]).map((t) => t.handle("grad"));
  const gradOutputs = options.gradOutputs?.map((t) => t.handle("grad"));
  return native
    .gradOf(outs, ins, gradOutputs, options.retainGraph, options.createGraph ?? false, options.allowUnused ?? false)
    .map((g) => (g === undefined ? undefined : new Tensor(g)));
}
