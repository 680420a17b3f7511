// Optimizers and learning-rate schedules (torch.optim), with state dicts for checkpoints.
export {
  Optimizer,
  type BaseHyper,
  type ParamGroup,
  type ParamsArgument,
  type ParamState,
  type ParamUpdate,
  type OptimizerStateDict,
} from "./optimizer.js";
export { Adam, type AdamHyper, type AdamOptions } from "./adam.js";
export { SGD, type SGDHyper, type SGDOptions } from "./sgd.js";
export { LRScheduler, StepLR, MultiStepLR, type SchedulerStateDict } from "./lr_scheduler.js";
export { GradScaler, type GradScalerOptions, type GradScalerState } from "./grad_scaler.js";
