// Training DiME (DESIGN section 5). Reading its checkpoints is src/checkpoint.
export { train, type TrainHooks, type TrainOptions, type TrainSummary } from "./trainer.js";
export { TrainError, NonFiniteLossError } from "./errors.js";
export { readLog, type LogRecord, type StepRecord } from "./log.js";
export { ProgressBar, SILENT_PROGRESS, type ProgressReporter } from "../util/progress.js";
export {
  recalibrateBatchNorm,
  recalibrateCheckpoint,
  type RecalibrateOptions,
  type RecalibrateCheckpointOptions,
  type RecalibrateSummary,
} from "./recalibrate.js";
