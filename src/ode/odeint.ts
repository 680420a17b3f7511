// odeint: integrates dy/dt = f(t, y) from t0 to t1 in equal steps of a fixed-step solver,
// differentiably: autograd runs back through every step (discretize-then-optimize, no adjoint).
import * as torch from "../torch/index.js";
import type { Tensor } from "../torch/index.js";
import { solverFor, type Dynamics, type FixedStepSolver, type OdeMethod } from "./solvers.js";

export interface OdeOptions {
  /** Start time (default 0). */
  t0?: number;
  /** End time (default 1); t1 < t0 integrates backwards in time. */
  t1?: number;
  method: OdeMethod;
  /** Number of equal steps from t0 to t1, a positive integer; f is called steps x evalsPerStep times. */
  steps: number;
}

interface Plan {
  solver: FixedStepSolver;
  t0: number;
  t1: number;
  h: number;
  steps: number;
}

function plan(options: OdeOptions): Plan {
  const { t0 = 0, t1 = 1, method, steps } = options;
  const solver = solverFor(method);
  if (!Number.isInteger(steps) || steps < 1) {
    throw new RangeError(`odeint: steps must be a positive integer (the number of fixed steps from t0 to t1), got ${steps}`);
  }
  if (!Number.isFinite(t0) || !Number.isFinite(t1))
    throw new RangeError(`odeint: t0 and t1 must be finite numbers, got t0=${t0}, t1=${t1}`);
  return { solver, t0, t1, h: (t1 - t0) / steps, steps };
}

/** Time at the start of step i; the grid's last point is t1 exactly. */
function timeAt(p: Plan, i: number): number {
  return i === p.steps ? p.t1 : p.t0 + i * p.h;
}

/** f, refusing a derivative whose shape differs from the state's (a broadcast would grow the state). */
function checked(f: Dynamics): Dynamics {
  return (t, y) => {
    const dy = f(t, y);
    const [got, want] = [dy.shape, y.shape];
    if (got.length !== want.length || got.some((size, d) => size !== want[d])) {
      throw new RangeError(
        `odeint: f(t=${t}) returned shape [${got.join(", ")}] for a state of shape [${want.join(", ")}]; the derivative must have the state's shape`,
      );
    }
    return dy;
  };
}

/** Step i of the plan inside its own scope: only the new state survives it. */
function advance(p: Plan, f: Dynamics, i: number, y: Tensor): Tensor {
  return torch.tidy(() => p.solver.step(f, timeAt(p, i), p.h, y));
}

/**
 * Integrates dy/dt = f(t, y) from y(t0) = y0 and returns y(t1), a new tensor with y0's shape
 * (any shape) and dtype. f(t, y) must return the derivative with y's shape. Gradients flow to y0
 * and to whatever f closes over through every step. Each step runs in its own tidy() scope and
 * each intermediate state is disposed once the next exists, so the caller gains exactly one live
 * tensor; the autograd graph keeps what backward needs natively.
 */
export function odeint(f: Dynamics, y0: Tensor, options: OdeOptions): Tensor {
  const p = plan(options);
  const dynamics = checked(f);
  let y = y0;
  try {
    for (let i = 0; i < p.steps; i++) {
      const next = advance(p, dynamics, i, y);
      if (y !== y0 && y !== next) y.dispose();
      y = next;
    }
  } catch (error) {
    if (y !== y0) y.dispose();
    throw error;
  }
  return y;
}

export interface Trajectory {
  /** The steps + 1 grid times t0, t0 + h, ..., t1. */
  times: number[];
  /** (steps + 1, ...y0.shape): the state at each grid time; states[0] equals y0. */
  states: Tensor;
}

/**
 * Like odeint, but returns the state at every grid time, stacked along a new first dimension
 * (torchdiffeq's odeint output on the solver's own grid). Costs one copy of the trajectory.
 */
export function odeintTrajectory(f: Dynamics, y0: Tensor, options: OdeOptions): Trajectory {
  const p = plan(options);
  const dynamics = checked(f);
  const times = Array.from({ length: p.steps + 1 }, (_, i) => timeAt(p, i));
  return torch.tidy(() => {
    const states = [y0];
    for (let i = 0; i < p.steps; i++) states.push(advance(p, dynamics, i, states[i]));
    return { times, states: torch.stack(states) };
  });
}
