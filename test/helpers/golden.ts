// The FOMM golden fixtures (../shared/golden beside the repository, or DIME_GOLDEN): loading them
// and comparing tensors one by one, reporting the largest difference and the first mismatches.
import { join } from "node:path";

import * as torch from "../../src/torch/index.js";
import type { Tensor } from "../../src/torch/index.js";
import { readSafetensors } from "../../src/io/safetensors.js";
import { assertClose } from "./assert.js";
import { GOLDEN_DIR, fixtureSkip } from "./shared-fixtures.js";

export { GOLDEN_DIR };

/** false when the fixtures exist, else the reason to skip (for node:test's `skip`; throws under DIME_REQUIRE_FIXTURES=1). */
export const NO_GOLDEN: false | string = fixtureSkip(GOLDEN_DIR, "the golden files", "DIME_GOLDEN");

/** Every tensor of a golden file (kept out of tidy scopes; they live for the test file). */
export function loadGolden(file: string): Map<string, Tensor> {
  return torch.keep(readSafetensors(join(GOLDEN_DIR, file)).tensors);
}

/** The tensors whose key starts with `prefix`, with the prefix removed. */
export function withPrefix(tensors: ReadonlyMap<string, Tensor>, prefix: string): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [key, t] of tensors) if (key.startsWith(prefix)) out.set(key.slice(prefix.length), t);
  return out;
}

/** Asserts same shape and |actual - expected| <= atol + rtol |expected|, naming the tensor. */
export function assertTensorClose(actual: Tensor, expected: Tensor, name: string, atol = 1e-5, rtol = 0): void {
  if (actual.shape.join() !== expected.shape.join()) {
    throw new Error(`${name}: shape [${actual.shape}] but the reference is [${expected.shape}]`);
  }
  const a = torch.tidy(() => actual.detach().double().cpu().toArray());
  const e = torch.tidy(() => expected.double().cpu().toArray());
  assertClose(a, e, atol, rtol, name);
}

/** Relative L2 difference |a - e| / |e| (for gradients, which agree in norm rather than per element). */
export function relativeL2(actual: Tensor, expected: Tensor): number {
  return torch.tidy(() => {
    const e = expected.double();
    const num = actual.detach().double().sub(e).norm().item();
    const den = e.norm().item();
    return den === 0 ? num : num / den;
  });
}
