// dime's public API: `import { torch, nn, DiME, loadConfig, train, loadModel, animate, ... } from "dime"`.
export * as torch from "./torch/index.js";
export * as nn from "./nn/index.js";
export * from "./dime/index.js";
export * from "./infer/index.js";
export * from "./train/index.js";
export * from "./checkpoint/index.js";
export * from "./face/index.js";
export { loadFaceApi, type FaceApi } from "./faceapi/index.js";
export { readImage } from "./media/image-read.js";
export { writeImage } from "./media/image-write.js";
export { readFrames, readAllFrames } from "./media/video-read.js";
export { VideoWriter } from "./media/video-write.js";
export type { RgbImage } from "./media/image.js";
export { reconstructVideo, referenceFrames } from "./eval/reconstruction.js";
export {
  readTorchCheckpoint,
  inspectTorchCheckpoint,
  TorchCheckpointError,
  type TorchCheckpoint,
  type TorchCheckpointInfo,
  type ReadTorchOptions,
} from "./io/torch-checkpoint.js";
export type { TorchValue, TensorRecord, StorageRecord, PyValue } from "./io/torch-values.js";
export { importFommCheckpoint, isTorchCheckpointPath, type ImportedFomm, type ImportFommOptions } from "./checkpoint/fomm-import.js";
export { describeCheckpointFile, type CheckpointFileInfo } from "./checkpoint/describe.js";
