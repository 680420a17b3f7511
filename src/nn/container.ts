// Containers: Sequential (a chain of layers) and ModuleList (an indexed list of modules), whose
// children are named 0, 1, 2, ... as in PyTorch (`down_blocks.0.conv.weight`).
import type { Tensor } from "../torch/index.js";
import { Module, type Layer } from "./module.js";

/** Applies its layers in order; children are named "0", "1", ... */
export class Sequential extends Module implements Layer {
  readonly #layers: Layer[];

  constructor(...layers: Layer[]) {
    super();
    this.#layers = layers.map((layer, i) => this.registerModule(String(i), layer));
  }

  get length(): number {
    return this.#layers.length;
  }

  /** The i-th layer. */
  at(i: number): Layer {
    const layer = this.#layers.at(i);
    if (layer === undefined) throw new RangeError(`Sequential.at(${i}): it has ${this.#layers.length} layers`);
    return layer;
  }

  [Symbol.iterator](): Iterator<Layer> {
    return this.#layers[Symbol.iterator]();
  }

  forward(x: Tensor): Tensor {
    let y = x;
    for (const layer of this.#layers) y = layer.forward(y);
    return y;
  }
}

/** Holds modules in a list (named "0", "1", ...) so that their parameters are registered. */
export class ModuleList<M extends Module = Module> extends Module {
  readonly #items: M[] = [];

  constructor(modules: Iterable<M> = []) {
    super();
    for (const m of modules) this.push(m);
  }

  /** Appends a module (named by its index); returns it. */
  push(module: M): M {
    this.#items.push(this.registerModule(String(this.#items.length), module));
    return module;
  }

  get length(): number {
    return this.#items.length;
  }

  at(i: number): M {
    const item = this.#items.at(i);
    if (item === undefined) throw new RangeError(`ModuleList.at(${i}): it has ${this.#items.length} modules`);
    return item;
  }

  [Symbol.iterator](): Iterator<M> {
    return this.#items[Symbol.iterator]();
  }
}
