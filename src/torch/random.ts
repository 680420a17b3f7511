// Seeds and random number generators.
import { native, type GeneratorHandle } from "./binding.js";
import { Tensor } from "./tensor.js";

/**
 * A seeded random number generator (libtorch's CPU Philox/MT generator). Pass it to the random
 * factories for streams that do not depend on anything else the program draws.
 */
export class Generator {
  readonly handle: GeneratorHandle;

  constructor(seed: number | GeneratorHandle = 0) {
    this.handle = typeof seed === "number" ? native.newGenerator(seed) : seed;
  }

  manualSeed(seed: number): this {
    native.generatorSeed(this.handle, seed);
    return this;
  }
  /** The generator's full state as a uint8 tensor (to save in a checkpoint). */
  getState(): Tensor {
    return new Tensor(native.generatorGetState(this.handle));
  }
  setState(state: Tensor): void {
    native.generatorSetState(this.handle, state.handle("setState"));
  }
}

/** libtorch's global generator (what randn without a generator, dropout and init draw from). */
export function defaultGenerator(): Generator {
  return new Generator(native.defaultGenerator());
}

/** Seeds libtorch's global generators (CPU and CUDA), like torch.manual_seed. */
export function manualSeed(seed: number): void {
  native.manualSeed(seed);
}
