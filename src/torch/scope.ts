// Tensor lifetime: tidy() scopes that free what they do not return, keep(), live-tensor counts,
// and the garbage-collection safety net.
//
// Every tensor is created inside the innermost open tidy() scope (if any) and is freed when that
// scope ends unless it is returned from it (then it moves to the enclosing scope) or keep()-ed.
// A tensor no scope owns lives until dispose() or, as a last resort, until the garbage collector
// finds it unreachable: the FinalizationRegistry below then frees its native memory. libtorch
// reports every tensor's size to V8 (napi_adjust_external_memory), so the GC runs when native
// memory grows even if the JS heap does not.
import { native, type Handle } from "./binding.js";

/** Marks objects owned by this layer; tidy() looks for it in returned values. */
export const OWNED = Symbol("dime.owned");

export interface Owned {
  readonly [OWNED]: true;
  dispose(): void;
  readonly isDisposed: boolean;
}

const scopes: Set<Owned>[] = [];
let live = 0;

const collector = new FinalizationRegistry<Handle>((handle) => {
  native.dispose(handle);
  live--;
});

/** Called by every new tensor: count it, put it in the current scope, arm the GC safety net. */
export function adopt(owned: Owned, handle: Handle): void {
  live++;
  collector.register(owned, handle, owned);
  const scope = scopes[scopes.length - 1];
  if (scope !== undefined) scope.add(owned);
}

/** Called by dispose(): the tensor's handle has been freed. */
export function release(owned: Owned): void {
  live--;
  collector.unregister(owned);
}

function collect(value: unknown, into: Set<Owned>, seen: Set<unknown>): void {
  if (value === null || typeof value !== "object" || seen.has(value)) return;
  seen.add(value);
  if ((value as Partial<Owned>)[OWNED] === true) {
    into.add(value as Owned);
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) collect(item, into, seen);
  } else if (value instanceof Map) {
    for (const item of value.values()) collect(item, into, seen);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const item of Object.values(value)) collect(item, into, seen);
  }
}

/**
 * Runs `fn` and frees every tensor created inside it except those in its result (a tensor, or
 * tensors inside arrays, Maps and plain objects), which move to the enclosing scope. If `fn`
 * throws, everything it created is freed. `fn` must be synchronous.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Owned>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (error) {
    scopes.pop();
    for (const owned of scope) owned.dispose();
    throw error;
  }
  scopes.pop();
  if (result instanceof Promise) {
    for (const owned of scope) owned.dispose();
    throw new TypeError("tidy() needs a synchronous function; await outside the scope and tidy each synchronous step");
  }
  const kept = new Set<Owned>();
  collect(result, kept, new Set());
  const parent = scopes[scopes.length - 1];
  for (const owned of scope) {
    if (kept.has(owned)) parent?.add(owned);
    else owned.dispose();
  }
  return result;
}

/** Takes tensors out of every open scope, so that no tidy() frees them; returns its argument. */
export function keep<T>(value: T): T {
  const found = new Set<Owned>();
  collect(value, found, new Set());
  for (const scope of scopes) for (const owned of found) scope.delete(owned);
  return value;
}

/** Disposes every tensor in `value` (a tensor, or arrays / Maps / plain objects of them). */
export function dispose(value: unknown): void {
  const found = new Set<Owned>();
  collect(value, found, new Set());
  for (const owned of found) owned.dispose();
}

export interface MemoryInfo {
  /** Tensors created and not yet freed (by dispose, a scope or the GC). */
  numTensors: number;
  /** Native tensor handles alive in libtorch (includes handles not wrapped yet). */
  nativeTensors: number;
  /** Open tidy() scopes. */
  scopeDepth: number;
}

export function memory(): MemoryInfo {
  return { numTensors: live, nativeTensors: native.liveTensors(), scopeDepth: scopes.length };
}
