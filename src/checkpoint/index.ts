// Checkpoints (DESIGN section 5): the files a training run writes, and loading one into a model.
// Below train, infer and eval, which all read them.
export { loadCheckpoint, type LoadCheckpointOptions, type LoadedCheckpoint } from "./load.js";
export {
  findCheckpoint,
  latestCheckpoint,
  listCheckpoints,
  type CheckpointEntry,
  type CheckpointSidecar,
  type CheckpointIo,
} from "./files.js";
export { CheckpointError } from "./errors.js";
