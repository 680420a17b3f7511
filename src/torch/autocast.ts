// Autocast scopes (torch.autocast): ops that gain from lower precision (convolutions, matrix
// products) run in bf16 or fp16, the rest as their inputs say; fp32 islands switch it off.
//
// libtorch keeps the switch and the dtype per device type in thread-local state; this file owns
// every change to it. Each scope saves what it found and puts it back when it closes, so scopes
// nest; a scope closed while scopes opened inside it are still open (abandoned by an exception in
// code that did not use `using`, say) closes those first, so the state is always the one its
// opener saw.
import { native } from "./binding.js";
import type { Device } from "./device.js";
import type { Tensor } from "./tensor.js";
import { dtypeCode, dtypeName } from "./dtype.js";

/** The device types autocast knows. */
export type AutocastDeviceType = "cpu" | "cuda";
/** The lower-precision dtypes autocast casts to. */
export type AutocastDtype = "bfloat16" | "float16";

export interface AutocastDeviceState {
  enabled: boolean;
  dtype: AutocastDtype;
}
export type AutocastState = Record<AutocastDeviceType, AutocastDeviceState>;

const DEVICE_TYPES: readonly AutocastDeviceType[] = ["cpu", "cuda"];

/** The device type of a device ("cuda:1" -> "cuda"). */
export function autocastDeviceType(device: Device): AutocastDeviceType {
  return device === "cpu" ? "cpu" : "cuda";
}

/** What autocast is set to now, per device type. */
export function autocastState(): AutocastState {
  const one = (type: AutocastDeviceType): AutocastDeviceState => ({
    enabled: native.autocastIsEnabled(type),
    dtype: dtypeName(native.autocastGetDtype(type)) as AutocastDtype,
  });
  return { cpu: one("cpu"), cuda: one("cuda") };
}

function apply(state: AutocastState): void {
  for (const type of DEVICE_TYPES) {
    native.autocastSetEnabled(type, state[type].enabled);
    native.autocastSetDtype(type, dtypeCode(state[type].dtype));
  }
}

// Each open scope with the state it found when it opened, innermost last.
const open: { scope: AutocastScope; before: AutocastState }[] = [];

/**
 * A scope that sets autocast for some device types and restores the previous state when
 * disposed (`using _ = new AutocastScope({ cpu: { enabled: true, dtype: "bfloat16" } })`).
 */
export class AutocastScope implements Disposable {
  constructor(changes: Partial<AutocastState>) {
    const before = autocastState();
    open.push({ scope: this, before });
    native.autocastEnter();
    apply({ ...before, ...changes });
  }

  [Symbol.dispose](): void {
    const index = open.findIndex((entry) => entry.scope === this);
    // Closed already: by itself, or by an enclosing scope that closed first.
    if (index < 0) return;
    // Scopes opened inside this one and never closed end here too, innermost first.
    while (open.length > index) {
      apply((open.pop() as { before: AutocastState }).before);
      native.autocastExit();
    }
  }

  dispose(): void {
    this[Symbol.dispose]();
  }
}

function run<T>(scope: AutocastScope, fn: () => T, what: string): T {
  try {
    const result = fn();
    if (result instanceof Promise) throw new TypeError(`${what} needs a synchronous function`);
    return result;
  } finally {
    scope.dispose();
  }
}

/**
 * Runs fn with autocast on for `device`'s type in `dtype` (bfloat16 or float16), or off for it
 * when dtype is "float32". fn must be synchronous. Tensors fn returns may be in the lower dtype.
 */
export function withAutocast<T>(device: Device, dtype: AutocastDtype | "float32", fn: () => T): T {
  const type = autocastDeviceType(device);
  const current = autocastState()[type];
  const change: AutocastDeviceState = dtype === "float32" ? { enabled: false, dtype: current.dtype } : { enabled: true, dtype };
  return run(new AutocastScope({ [type]: change }), fn, "withAutocast()");
}

/** True when autocast is on for any device type (an fp32 island then has work to do). */
export function isAutocastEnabled(): boolean {
  return DEVICE_TYPES.some((type) => native.autocastIsEnabled(type));
}

/**
 * The dtype autocast runs a convolution in on `device` now (bfloat16 or float16), or undefined
 * when autocast is off for that device's type.
 */
export function autocastDtypeOn(device: Device): AutocastDtype | undefined {
  const type = autocastDeviceType(device);
  return native.autocastIsEnabled(type) ? (dtypeName(native.autocastGetDtype(type)) as AutocastDtype) : undefined;
}

/**
 * Runs fn with autocast off on every device: an fp32 island for numerically delicate work
 * (softmax over heatmaps, sampling grids, losses). Cast its lower-precision inputs with
 * `.float()` first: autocast off means ops run in their inputs' dtype. Costs nothing when
 * autocast is off already.
 */
export function fp32Island<T>(fn: () => T): T {
  if (!isAutocastEnabled()) return fn();
  return run(fp32Scope(), fn, "fp32Island()");
}

/** As fp32Island, as a scope for `using`. */
export function fp32Scope(): AutocastScope {
  const off = autocastState();
  off.cpu.enabled = false;
  off.cuda.enabled = false;
  return new AutocastScope(off);
}

/**
 * A bf16 or fp16 tensor as float32 (a new tensor); any other tensor itself (float64 stays float64):
 * the inputs of an fp32 island.
 */
export function widen(t: Tensor): Tensor {
  return t.dtype === "bfloat16" || t.dtype === "float16" ? t.float() : t;
}
