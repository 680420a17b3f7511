// The Optimizer base class: parameter groups, per-parameter state, zeroGrad, step, and a state
// dict split into tensors (for a safetensors file) and JSON-able numbers (for its sidecar).
//
// Subclasses write one update per parameter with tensor ops in place (no per-element work in
// JS), or a whole group's in one native call (updateGroup: Adam's fused step); step() runs them
// under noGrad inside one tidy() scope, so a step leaves no tensors behind except the
// optimizer's own state, which is keep()-ed.
import * as torch from "../torch/index.js";
import type { Tensor } from "../torch/index.js";

/** Hyper-parameters every optimizer has; `initialLr` is set by learning-rate schedules. */
export interface BaseHyper {
  lr: number;
  initialLr?: number;
}

/** A parameter group: parameters sharing hyper-parameters. */
export type ParamGroup<H extends BaseHyper> = H & { params: Tensor[] };

/** What the constructors take: a list of parameters, or groups overriding some defaults. */
export type ParamsArgument<H extends BaseHyper> = Iterable<Tensor> | Array<Partial<H> & { params: Iterable<Tensor> }>;

/** One parameter's state: tensors (moments, momentum buffers) and numbers (step counts). */
export interface ParamState {
  tensors: Record<string, Tensor>;
  numbers: Record<string, number>;
}

/** A parameter step() updates: it has a gradient. */
export interface ParamUpdate {
  param: Tensor;
  grad: Tensor;
  state: ParamState;
}

/**
 * An optimizer's state as a checkpoint stores it. Parameters are numbered through all groups in
 * order, as in PyTorch's optimizer state_dict.
 */
export interface OptimizerStateDict {
  /** State tensors by "<parameter index>.<name>", e.g. "0.exp_avg" (new handles sharing the optimizer's storage). */
  tensors: Map<string, Tensor>;
  /** JSON-able: the optimizer's name, each group's hyper-parameters and parameter indices, per-parameter numbers. */
  meta: {
    optimizer: string;
    paramGroups: Array<Record<string, unknown> & { params: number[] }>;
    state: Record<string, Record<string, number>>;
  };
}

function isTensorList(params: unknown[]): params is Tensor[] {
  return params.every((p) => p instanceof torch.Tensor);
}

export abstract class Optimizer<H extends BaseHyper> {
  readonly paramGroups: ParamGroup<H>[];
  protected readonly state = new Map<Tensor, ParamState>();

  constructor(params: ParamsArgument<H>, defaults: H) {
    const list = Array.from(params as Iterable<unknown>);
    if (list.length === 0) throw new TypeError(`${this.constructor.name}: got an empty parameter list`);
    const groups = isTensorList(list) ? [{ params: list }] : (list as Array<Partial<H> & { params: Iterable<Tensor> }>);
    const seen = new Set<Tensor>();
    const known = new Set([...Object.keys(defaults), "params", "initialLr"]);
    this.paramGroups = groups.map((group, g) => {
      for (const key of Object.keys(group)) {
        if (!known.has(key))
          throw new TypeError(`${this.constructor.name}: group ${g} has an unknown option '${key}'; known: ${[...known].join(", ")}`);
      }
      const merged = { ...defaults, ...group, params: Array.from(group.params) } as ParamGroup<H>;
      for (const p of merged.params) {
        if (!(p instanceof torch.Tensor)) throw new TypeError(`${this.constructor.name}: group ${g} holds something that is not a Tensor`);
        if (seen.has(p)) throw new TypeError(`${this.constructor.name}: a parameter appears twice (group ${g}); give each parameter once`);
        seen.add(p);
      }
      this.validate(merged);
      return merged;
    });
  }

  /** Throws a RangeError naming the bad hyper-parameter. */
  protected abstract validate(group: H): void;

  /** Updates one parameter in place from its gradient (called under noGrad, inside tidy). */
  protected abstract update(param: Tensor, grad: Tensor, group: H, state: ParamState): void;

  /**
   * Updates a group's parameters that have gradients (under noGrad, inside tidy): one update()
   * each, unless a subclass updates several at once (Adam's fused step).
   */
  protected updateGroup(group: H, updates: readonly ParamUpdate[]): void {
    for (const { param, grad, state } of updates) this.update(param, grad, group, state);
  }

  /** The names of the per-parameter state tensors this optimizer keeps (for loadStateDict's checks). */
  protected abstract readonly stateTensorNames: readonly string[];

  /** Clears every parameter's gradient (sets it to undefined, as zero_grad(set_to_none=True)). */
  zeroGrad(): void {
    for (const group of this.paramGroups) for (const p of group.params) p.setGrad(undefined);
  }

  /** One update of every parameter that has a gradient; parameters without one are skipped. */
  step(): void {
    torch.tidy(() =>
      torch.noGrad(() => {
        for (const group of this.paramGroups) {
          const updates: ParamUpdate[] = [];
          for (const p of group.params) {
            if (p.isDisposed) {
              throw new Error(
                `${this.constructor.name}.step: a parameter was disposed (the model was disposed?); ` +
                  "create the optimizer after moving the model, over model.parameters()",
              );
            }
            const grad = p.grad;
            if (grad !== undefined) updates.push({ param: p, grad, state: this.#stateOf(p) });
          }
          this.updateGroup(group, updates);
        }
      }),
    );
  }

  /** The parameter's state, created empty on first use (as PyTorch's lazy state). */
  #stateOf(p: Tensor): ParamState {
    let state = this.state.get(p);
    if (state === undefined) {
      state = { tensors: {}, numbers: {} };
      this.state.set(p, state);
    }
    return state;
  }

  /** Frees the optimizer's state (moments, momentum buffers); the parameters are the model's. */
  dispose(): void {
    for (const s of this.state.values()) for (const t of Object.values(s.tensors)) t.dispose();
    this.state.clear();
  }

  /** Makes a state tensor that outlives step()'s scope. */
  protected keepState(tensor: Tensor): Tensor {
    return torch.keep(tensor);
  }

  #indexedParams(): Tensor[] {
    return this.paramGroups.flatMap((g) => g.params);
  }

  /** The state for a checkpoint: tensors plus JSON-able hyper-parameters and counters. */
  stateDict(): OptimizerStateDict {
    const params = this.#indexedParams();
    const tensors = new Map<string, Tensor>();
    const state: Record<string, Record<string, number>> = {};
    params.forEach((p, i) => {
      const s = this.state.get(p);
      if (s === undefined) return;
      for (const [name, t] of Object.entries(s.tensors)) tensors.set(`${i}.${name}`, t.detach());
      state[String(i)] = { ...s.numbers };
    });
    let next = 0;
    const paramGroups = this.paramGroups.map((group) => {
      const { params: groupParams, ...hyper } = group;
      const indices = groupParams.map(() => next++);
      return { ...structuredClone(hyper), params: indices };
    });
    return { tensors, meta: { optimizer: this.constructor.name, paramGroups, state } };
  }

  /**
   * Restores a state saved by stateDict() (tensors are copied, so the source may be disposed).
   * Hyper-parameters come from the state dict, as in PyTorch. Throws one Error naming what does
   * not fit before changing anything.
   */
  loadStateDict(dict: OptimizerStateDict): void {
    const name = this.constructor.name;
    const { meta, tensors } = dict;
    const problems: string[] = [];
    if (meta.optimizer !== name) problems.push(`it was saved by ${meta.optimizer}, this is ${name}`);
    if (meta.paramGroups.length !== this.paramGroups.length) {
      problems.push(`it has ${meta.paramGroups.length} parameter groups, this optimizer has ${this.paramGroups.length}`);
    } else {
      meta.paramGroups.forEach((g, i) => {
        const have = this.paramGroups[i].params.length;
        if (g.params.length !== have) problems.push(`group ${i} has ${g.params.length} parameters in the state dict, ${have} here`);
      });
    }
    const params = this.#indexedParams();
    for (const [key, t] of tensors) {
      const dot = key.indexOf(".");
      const index = Number(key.slice(0, dot));
      const stateName = key.slice(dot + 1);
      const p = params[index];
      if (dot <= 0 || !Number.isInteger(index) || p === undefined || !this.stateTensorNames.includes(stateName)) {
        problems.push(
          `unexpected state tensor '${key}' (expected "<parameter index>.<${this.stateTensorNames.join("|")}>" with index < ${params.length})`,
        );
      } else if (t.shape.join(",") !== p.shape.join(",")) {
        problems.push(`state tensor '${key}' has shape [${t.shape.join(", ")}], parameter ${index} has [${p.shape.join(", ")}]`);
      }
    }
    for (const index of Object.keys(meta.state)) {
      if (params[Number(index)] === undefined)
        problems.push(`state for parameter ${index}, but this optimizer has ${params.length} parameters`);
    }
    const hyper = meta.paramGroups.map(({ params: _indices, ...saved }, i) => ({ ...this.paramGroups[i], ...structuredClone(saved) }));
    if (problems.length === 0) {
      hyper.forEach((group, i) => {
        try {
          this.validate(group);
        } catch (error) {
          problems.push(`group ${i}: ${(error as Error).message}`);
        }
      });
    }
    if (problems.length > 0) {
      throw new Error(
        `${name}.loadStateDict: the optimizer state does not fit; nothing was loaded.\n` +
          problems.map((p) => `  ${p}\n`).join("") +
          `  To fix: build the optimizer over model.parameters() of the same model (same config) it was saved with.`,
      );
    }
    this.dispose();
    hyper.forEach((group, i) => Object.assign(this.paramGroups[i], group));
    for (const [index, numbers] of Object.entries(meta.state)) this.#stateOf(params[Number(index)]).numbers = { ...numbers };
    torch.noGrad(() => {
      for (const [key, t] of tensors) {
        const dot = key.indexOf(".");
        const p = params[Number(key.slice(0, dot))];
        const copy = torch.tidy(() => t.to(p.device).to(p.dtype).clone());
        this.#stateOf(p).tensors[key.slice(dot + 1)] = this.keepState(copy);
      }
    });
  }
}
