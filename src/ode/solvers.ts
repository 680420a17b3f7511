// Fixed-step explicit ODE solvers (torchdiffeq's fixed_grid.py): Euler, midpoint and classic RK4,
// each declaring its order and its evaluations of f per step, and the registry odeint reads.
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

/** Explicit Euler: y + h f(t, y). */
export class Euler implements FixedStepSolver {
  readonly order = 1;
  readonly evalsPerStep = 1;
  step(f: Dynamics, t: number, h: number, y: Tensor): Tensor {
    return y.add(f(t, y), h);
  }
}

/** Explicit midpoint: y + h f(t + h/2, y + h/2 f(t, y)). */
export class Midpoint implements FixedStepSolver {
  readonly order = 2;
  readonly evalsPerStep = 2;
  step(f: Dynamics, t: number, h: number, y: Tensor): Tensor {
    const half = h / 2;
    const k1 = f(t, y);
    return y.add(f(t + half, y.add(k1, half)), h);
  }
}

/**
 * The classic fourth-order Runge-Kutta method (weights 1/6, 1/3, 1/3, 1/6). torchdiffeq's "rk4"
 * is the 3/8-rule variant, which has the same order and evaluation count.
 */
export class RK4 implements FixedStepSolver {
  readonly order = 4;
  readonly evalsPerStep = 4;
  step(f: Dynamics, t: number, h: number, y: Tensor): Tensor {
    const half = h / 2;
    const k1 = f(t, y);
    const k2 = f(t + half, y.add(k1, half));
    const k3 = f(t + half, y.add(k2, half));
    const k4 = f(t + h, y.add(k3, h));
    return y.add(k1.add(k2, 2).add(k3, 2).add(k4), h / 6);
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
