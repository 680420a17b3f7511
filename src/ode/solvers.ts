// Fixed-step explicit ODE solvers (torchdiffeq's fixed_grid.py): Euler, midpoint and classic RK4
// as Butcher tableaus, each declaring its order, and the registry odeint reads.
import type { Tensor } from "../torch/index.js";

/** The right-hand side of dy/dt = f(t, y): returns the derivative, with y's shape. */
export type Dynamics = (t: number, y: Tensor) => Tensor;

/** One fixed-step scheme: advances a state by one step of size h (negative h integrates backwards). */
export interface FixedStepSolver {
  /** The global error falls as h^order. */
  readonly order: number;
  /** Calls of f per step. */
  readonly evalsPerStep: number;
  /** y(t + h) from y(t), built from f's outputs with differentiable ops only. */
  step(f: Dynamics, t: number, h: number, y: Tensor): Tensor;
}

/**
 * An explicit Runge-Kutta method given by its Butcher tableau (as diffrax's ButcherTableau):
 * stage i evaluates k_i = f(t + c_i h, y + h sum_j a_ij k_j), and the step returns
 * y + h sum_i b_i k_i. Zero coefficients cost nothing.
 */
export class ExplicitRungeKutta implements FixedStepSolver {
  readonly evalsPerStep: number;

  /** a[i] holds the coefficients of stages 0..i-1 (a[0] is empty). */
  constructor(
    readonly order: number,
    readonly tableau: { readonly c: readonly number[]; readonly a: readonly (readonly number[])[]; readonly b: readonly number[] },
  ) {
    const { c, a, b } = tableau;
    if (a.length !== c.length || b.length !== c.length || a.some((row, i) => row.length > i)) {
      throw new RangeError(
        `ExplicitRungeKutta: a tableau with ${c.length} stages needs ${c.length} rows a[i] of at most i coefficients and ${c.length} weights b`,
      );
    }
    this.evalsPerStep = c.length;
  }

  step(f: Dynamics, t: number, h: number, y: Tensor): Tensor {
    const { c, a, b } = this.tableau;
    const k: Tensor[] = [];
    for (let i = 0; i < c.length; i++) k.push(f(t + c[i] * h, combine(y, h, a[i], k)));
    return combine(y, h, b, k);
  }
}

/** y + h sum_j weights_j k_j, skipping zero weights (y itself when all are zero). */
function combine(y: Tensor, h: number, weights: readonly number[], k: readonly Tensor[]): Tensor {
  return weights.reduce((sum, w, j) => (w === 0 ? sum : sum.add(k[j], w * h)), y);
}

/** Explicit Euler: y + h f(t, y). */
export class Euler extends ExplicitRungeKutta {
  constructor() {
    super(1, { c: [0], a: [[]], b: [1] });
  }
}

/** Explicit midpoint: y + h f(t + h/2, y + h/2 f(t, y)). */
export class Midpoint extends ExplicitRungeKutta {
  constructor() {
    super(2, { c: [0, 1 / 2], a: [[], [1 / 2]], b: [0, 1] });
  }
}

/**
 * The classic fourth-order Runge-Kutta method (weights 1/6, 1/3, 1/3, 1/6). torchdiffeq's "rk4"
 * is the 3/8-rule variant, which has the same order and evaluation count.
 */
export class RK4 extends ExplicitRungeKutta {
  constructor() {
    super(4, { c: [0, 1 / 2, 1 / 2, 1], a: [[], [1 / 2], [0, 1 / 2], [0, 0, 1]], b: [1 / 6, 1 / 3, 1 / 3, 1 / 6] });
  }
}

/** Every method odeint accepts, by the name configs use (`ode.method`). */
export const SOLVERS = Object.freeze({
  euler: new Euler(),
  midpoint: new Midpoint(),
  rk4: new RK4(),
} satisfies Record<string, FixedStepSolver>);

export type OdeMethod = keyof typeof SOLVERS;

/** The registered solver for `method`; an unknown name throws a RangeError listing the known ones. */
export function solverFor(method: string): FixedStepSolver {
  if (!Object.hasOwn(SOLVERS, method)) {
    const known = Object.keys(SOLVERS).join(", ");
    throw new RangeError(`odeint: unknown method "${method}"; known methods: ${known} (set ode.method to one of them)`);
  }
  return SOLVERS[method as OdeMethod];
}
