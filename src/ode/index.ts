// Fixed-step ODE integration for the MotionODE (DESIGN section 4): odeint and its solvers.
export { odeint, odeintTrajectory, type OdeOptions, type Trajectory } from "./odeint.js";
export {
  SOLVERS,
  solverFor,
  ExplicitRungeKutta,
  Euler,
  Midpoint,
  RK4,
  type Dynamics,
  type FixedStepSolver,
  type OdeMethod,
} from "./solvers.js";
