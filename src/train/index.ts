// Training DiME (DESIGN section 5) and loading what it saved.
export { train, type TrainHooks, type TrainOptions, type TrainSummary } from "./trainer.js";
export { loadCheckpoint, type LoadCheckpointOptions, type LoadedCheckpoint } from "./load-checkpoint.js";
export { findCheckpoint, latestCheckpoint, listCheckpoints, type CheckpointEntry, type CheckpointSidecar, type CheckpointIo } from "./checkpoint.js";
export { TrainError, NonFiniteLossError } from "./errors.js";
export { readLog, type LogRecord, type StepRecord } from "./log.js";
export { ProgressBar, SILENT_PROGRESS, type ProgressReporter } from "./progress.js";
