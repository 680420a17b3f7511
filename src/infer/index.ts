// Inference: load a checkpoint, animate a picture with a video (streaming), and the motion helpers.
export { animate, type AnimationJob, type AnimationOptions, type AnimatedFrame, type AnimationPlan } from "./animate.js";
export { loadModel, type LoadedModel, type LoadModelOptions, type FrameSize } from "./model.js";
export { bestFrame, movementScale, normalizeKeypoints, targetKeypoints, type MotionMode, type MotionTransfer } from "./motion.js";
export { convexHull, hullArea } from "./hull.js";
export { inferIn } from "./precision.js";
export { sideBySide, keypointColour, type Panel } from "./visualize.js";
export type { DrivingInput, FrameInput } from "./frames.js";
export {
  animateFootage,
  cropImage,
  type CropChoice,
  type FootageJob,
  type FootageOptions,
  type FootageFrame,
  type CropPlan,
} from "./footage.js";
export { footagePanels } from "./footage-visualize.js";
export {
  footageCrop,
  footageView,
  writeFootage,
  writtenSeconds,
  type FootageCrop,
  type FootageFiles,
  type WrittenFootage,
} from "./footage-write.js";
