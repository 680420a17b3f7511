// The Module base class: registered parameters, buffers and child modules with PyTorch's dotted
// state-dict names (`down_blocks.0.conv.weight`), train/eval, device moves and disposal.
//
// PyTorch registers attributes by assignment (`self.conv = nn.Conv2d(...)`); TypeScript has no
// __setattr__, so a module registers them explicitly, in the order PyTorch would see them:
//
//   class Block extends Module {
//     readonly conv = this.registerModule("conv", new Conv2d(3, 8, 3));
//     readonly norm = this.registerModule("norm", new BatchNorm2d(8));
//     forward(x: Tensor): Tensor { return this.norm.forward(this.conv.forward(x)).relu(); }
//   }
//
// Parameters and buffers are keep()-ed, so no tidy() frees them; dispose() frees them all.
import * as torch from "../torch/index.js";
import type { Tensor, Device, DType } from "../torch/index.js";
import { checkStateDict, type LoadResult } from "./state_dict.js";

interface BufferEntry {
  tensor: Tensor;
  persistent: boolean;
}

export interface LoadStateDictOptions {
  /** When true (default), a missing or unexpected key is an error; mis-shaped keys always are. */
  strict?: boolean;
}

function checkName(kind: string, name: string): void {
  if (name === "" || name.includes(".")) {
    throw new TypeError(`register${kind}: name '${name}' must be non-empty and contain no '.' (dots separate nesting levels)`);
  }
}

export abstract class Module {
  #training = true;
  /** Parts whose children this module adopted (adoptChildren): not registered, but they follow train(). */
  readonly #adopted: Module[] = [];
  readonly #parameters = new Map<string, Tensor>();
  readonly #buffers = new Map<string, BufferEntry>();
  readonly #modules = new Map<string, Module>();

  /** True in training mode (the default), false after eval(). */
  get training(): boolean {
    return this.#training;
  }

  // --- registration

  /**
   * Registers `tensor` as a parameter named `name`: it is made a leaf that requires grad (when
   * floating point) and kept out of every tidy() scope. Returns the tensor.
   */
  protected registerParameter(name: string, tensor: Tensor, requiresGrad = true): Tensor {
    checkName("Parameter", name);
    this.#checkFree(name);
    // A tensor computed with autograd (not a leaf) is cut from its graph first, as nn.Parameter does.
    const leaf = tensor.isLeaf ? tensor : tensor.detach();
    if (leaf !== tensor) tensor.dispose();
    if (requiresGrad && torch.isFloating(leaf.dtype)) leaf.requiresGrad_(true);
    this.#parameters.set(name, torch.keep(leaf));
    return leaf;
  }

  /**
   * Registers a buffer (state that is not trained: running statistics, counters). Persistent
   * buffers are part of the state dict. Returns the tensor.
   */
  protected registerBuffer(name: string, tensor: Tensor, options: { persistent?: boolean } = {}): Tensor {
    checkName("Buffer", name);
    this.#checkFree(name);
    this.#buffers.set(name, { tensor: torch.keep(tensor), persistent: options.persistent ?? true });
    return tensor;
  }

  /** Registers a child module; its state-dict keys are prefixed with `name.`. Returns the child. */
  protected registerModule<M extends Module>(name: string, module: M): M {
    checkName("Module", name);
    this.#checkFree(name);
    this.#modules.set(name, module);
    return module;
  }

  /**
   * Registers every child of `part` here under the child's own name, so that a part written as
   * its own class (an encoder, a decoder) keeps the flat state-dict keys of a PyTorch model that
   * defined those layers directly on this module (`generator.first...`, not
   * `generator.encoder.first...`). `part` itself is not registered; call it as usual. Its
   * training flag follows this module's train() and eval().
   */
  protected adoptChildren<M extends Module>(part: M): M {
    for (const [name, child] of part.#modules) this.registerModule(name, child);
    if (part.#parameters.size > 0 || part.#buffers.size > 0) {
      throw new TypeError(
        `${this.constructor.name}: adoptChildren(${part.constructor.name}) takes only child modules, not its own parameters or buffers`,
      );
    }
    part.#training = this.#training;
    this.#adopted.push(part);
    return part;
  }

  #checkFree(name: string): void {
    if (this.#parameters.has(name) || this.#buffers.has(name) || this.#modules.has(name)) {
      throw new TypeError(`${this.constructor.name}: '${name}' is already registered`);
    }
  }

  /** This module's own parameter `name` (for getters in subclasses: `get weight() {...}`). */
  protected parameter(name: string): Tensor {
    const p = this.#parameters.get(name);
    if (p === undefined) throw new Error(`${this.constructor.name} has no parameter '${name}'`);
    return p;
  }

  protected hasParameter(name: string): boolean {
    return this.#parameters.has(name);
  }

  /** This module's own buffer `name`. */
  protected buffer(name: string): Tensor {
    const b = this.#buffers.get(name);
    if (b === undefined) throw new Error(`${this.constructor.name} has no buffer '${name}'`);
    return b.tensor;
  }

  protected hasBuffer(name: string): boolean {
    return this.#buffers.has(name);
  }

  // --- traversal (PyTorch's order: own entries in registration order, then children depth first)

  /** [name, child] for the direct children. */
  *namedChildren(): Generator<[string, Module]> {
    yield* this.#modules;
  }

  *children(): Generator<Module> {
    yield* this.#modules.values();
  }

  /** [dotted name, module] for this module (name "") and every descendant, each module once. */
  *namedModules(prefix = "", seen = new Set<Module>()): Generator<[string, Module]> {
    if (seen.has(this)) return;
    seen.add(this);
    yield [prefix, this];
    for (const [name, child] of this.#modules) {
      yield* child.namedModules(prefix === "" ? name : `${prefix}.${name}`, seen);
    }
  }

  *modules(): Generator<Module> {
    for (const [, m] of this.namedModules()) yield m;
  }

  /** [dotted name, parameter] for every parameter; a tensor shared by two modules comes once. */
  *namedParameters(): Generator<[string, Tensor]> {
    const seen = new Set<Tensor>();
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, p] of m.#parameters) {
        if (seen.has(p)) continue;
        seen.add(p);
        yield [prefix === "" ? name : `${prefix}.${name}`, p];
      }
    }
  }

  /** Every parameter (what an optimizer takes). */
  parameters(): Tensor[] {
    return Array.from(this.namedParameters(), ([, p]) => p);
  }

  /** [dotted name, buffer] for every buffer, persistent or not. */
  *namedBuffers(): Generator<[string, Tensor]> {
    const seen = new Set<Tensor>();
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, b] of m.#buffers) {
        if (seen.has(b.tensor)) continue;
        seen.add(b.tensor);
        yield [prefix === "" ? name : `${prefix}.${name}`, b.tensor];
      }
    }
  }

  buffers(): Tensor[] {
    return Array.from(this.namedBuffers(), ([, b]) => b);
  }

  /**
   * The model's own tensors under their state-dict names (no detaching, no copies). As in
   * PyTorch, a module registered under two names appears under both.
   */
  #stateEntries(): [string, Tensor][] {
    const entries: [string, Tensor][] = [];
    const visit = (m: Module, prefix: string, ancestors: Module[]) => {
      if (ancestors.includes(m)) throw new Error(`${prefix.slice(0, -1)}: a module contains itself`);
      for (const [name, p] of m.#parameters) entries.push([prefix + name, p]);
      for (const [name, b] of m.#buffers) if (b.persistent) entries.push([prefix + name, b.tensor]);
      for (const [name, child] of m.#modules) visit(child, `${prefix}${name}.`, [...ancestors, m]);
    };
    visit(this, "", []);
    return entries;
  }

  // --- state dict

  /**
   * Parameters and persistent buffers by PyTorch's dotted names, in PyTorch's order. The values
   * are new tensors sharing storage with the model's, detached from autograd (as PyTorch's
   * state_dict()); they belong to the current tidy() scope, or dispose them with torch.dispose(map).
   */
  stateDict(): Map<string, Tensor> {
    return new Map(this.#stateEntries().map(([name, t]) => [name, t.detach()]));
  }

  /**
   * Copies `state` into the model's parameters and buffers in place (no autograd, converting
   * dtype and device as needed). Throws one Error listing every missing, unexpected and
   * mis-shaped key before anything is copied. With strict false, missing and unexpected keys
   * are reported in the result instead; mis-shaped keys are still an error.
   */
  loadStateDict(state: ReadonlyMap<string, Tensor>, options: LoadStateDictOptions = {}): LoadResult {
    const own = new Map(this.#stateEntries());
    const result = checkStateDict(this.constructor.name, own, state, options.strict ?? true);
    torch.tidy(() =>
      torch.noGrad(() => {
        for (const [name, target] of own) {
          const source = state.get(name);
          if (source !== undefined) target.copy_(source);
        }
      }),
    );
    return result;
  }

  // --- modes

  /** Sets training mode on this module and every descendant; returns this. */
  train(mode = true): this {
    for (const m of this.modules()) {
      m.#training = mode;
      for (const part of m.#adopted) part.#training = mode;
    }
    return this;
  }

  /** train(false): batch norm uses running statistics, dropout is off. */
  eval(): this {
    return this.train(false);
  }

  /** Clears every parameter's gradient (sets it to undefined, as zero_grad(set_to_none=True)). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.setGrad(undefined);
  }

  /**
   * Moves every parameter and buffer to `target` (a device, or a floating dtype, which converts
   * only floating tensors, as PyTorch does). The moved tensors replace the old ones, which are
   * disposed, and gradients are dropped: move the model before you create its optimizer.
   */
  to(target: Device | DType): this {
    const isDevice = target === "cpu" || target.startsWith("cuda");
    if (!isDevice && !torch.isFloating(target as DType)) throw new TypeError(`Module.to(${target}): only floating dtypes are allowed`);
    const convert = (t: Tensor): Tensor | undefined => {
      if (isDevice ? t.device === target : !torch.isFloating(t.dtype) || t.dtype === target) return undefined;
      return torch.noGrad(() => t.to(target));
    };
    // In place (PyTorch's `param.data = ...`): every Tensor keeps its identity, so layers' fields
    // and optimizers built before the move still hold the live parameters. Gradients are dropped.
    for (const t of [...this.parameters(), ...this.buffers()]) {
      const moved = convert(t);
      if (moved === undefined) continue;
      t.setGrad(undefined);
      t.setData_(moved);
      moved.dispose();
    }
    return this;
  }

  /** Frees every parameter and buffer of this module and its descendants. */
  dispose(): void {
    for (const p of this.parameters()) p.dispose();
    for (const b of this.buffers()) b.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Total number of parameter elements. */
  numParameters(): number {
    let n = 0;
    for (const p of this.parameters()) n += p.numel;
    return n;
  }
}

/** A module with one tensor in and one out: what Sequential chains. */
export interface Layer extends Module {
  forward(x: Tensor): Tensor;
}
