// The model's public surface: DiME, its parts, its configuration and its training objective.
export { DiME, type DimeOptions, type DimeOutput } from "./dime.js";
export { Animator, type AnimateOptions, type AnimatorOutput, type PreparedViews } from "./animator.js";
export { KeypointDetector, type Keypoints, type KeypointDetails } from "./keypoint_detector.js";
export { DEFAULT_CONFIG, type DimeConfig, type ModelParams, type TrainParams, type Switches } from "./config/schema.js";
export { loadConfig, parseConfig, applyOverrides, configToYaml, ConfigError } from "./config/file.js";
export { TrainingObjective, type TrainingBatch, type ObjectiveResult } from "./objective.js";
export { describeModel, type ModelInfo } from "./info.js";
