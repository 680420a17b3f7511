// face-api.js's face nets on libtorch: the tiny face detector and the 68-point landmark nets (the
// face pipeline of src/face, and AKD on faces), and the face recognition net (CSIM). Below infer and
// eval, which both use them. Weights are face-api's TF.js files, shipped in models/face-api (docs/face-api.md).
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import * as torch from "../torch/index.js";
import type { Device, Tensor } from "../torch/index.js";
import type { Module } from "../nn/index.js";
import { loadTfjsWeights } from "./layers.js";
import { FaceLandmarkNet, LANDMARK_68, LANDMARK_68_TINY } from "./landmark_net.js";
import { FaceRecognitionNet } from "./recognition_net.js";
import { TinyFaceDetector, type DetectOptions } from "./tiny_face_detector.js";
import type { FaceDetection } from "./detections.js";

export { readTfjsWeights, decodeTfjsGroup, type TfjsWeightEntry, type TfjsWeightGroup } from "./manifest.js";
export { FaceLandmarkNet, LANDMARK_68, LANDMARK_68_TINY, type LandmarkNetConfig } from "./landmark_net.js";
export { FaceRecognitionNet } from "./recognition_net.js";
export { TinyFaceDetector, BOX_ANCHORS, type DetectOptions } from "./tiny_face_detector.js";
export { decodeGrid, iou, nonMaxSuppression, type Box, type FaceDetection } from "./detections.js";
export { loadTfjsWeights } from "./layers.js";

/** The manifest file of each net in a face-api weights folder (each names its .bin shard). */
export const FACE_API_MANIFESTS = {
  landmarks: "face_landmark_68_model-weights_manifest.json",
  landmarksTiny: "face_landmark_68_tiny_model-weights_manifest.json",
  recognition: "face_recognition_model-weights_manifest.json",
  detector: "tiny_face_detector_model-weights_manifest.json",
} as const;

/** models/face-api in the package (from src/faceapi or dist/faceapi alike). */
export function defaultFaceApiDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), "../../models/face-api");
}

export interface FaceApi {
  /** images (B, 3, H, W) RGB in [0, 1] -> (B, 68, 2) landmarks (x, y) in pixels, FaceLandmark68Net. */
  landmarks(images: Tensor): Tensor;
  /** The same with FaceLandmark68TinyNet (less accurate, 5x fewer weights). */
  landmarksTiny(images: Tensor): Tensor;
  /** images (B, 3, H, W) RGB in [0, 1] (face crops) -> (B, 128) descriptors. */
  descriptor(images: Tensor): Tensor;
  /** images (B, 3, H, W) RGB in [0, 1] -> per image, its faces in pixels, best first. */
  detect(images: Tensor, options?: DetectOptions): FaceDetection[][];
  readonly nets: {
    landmarks: FaceLandmarkNet;
    landmarksTiny: FaceLandmarkNet;
    recognition: FaceRecognitionNet;
    detector: TinyFaceDetector;
  };
  /** Frees the four nets' weights. */
  dispose(): void;
}

export interface LoadFaceApiOptions {
  /** Where the nets run (default cpu); inputs must be on the same device. */
  device?: Device;
}

/**
 * Loads the four nets from a folder of face-api's TF.js weights (default: the copy shipped in
 * models/face-api). Throws one line naming the file when one is missing or does not fit.
 * Outputs are computed without autograd and belong to the caller's tidy() scope.
 */
export function loadFaceApi(dir = defaultFaceApiDir(), options: LoadFaceApiOptions = {}): FaceApi {
  const made: Module[] = [];
  const load = <M extends Module>(net: M, manifest: string): M => {
    made.push(net);
    loadTfjsWeights(net, join(dir, manifest));
    if (options.device !== undefined) net.to(options.device);
    return net;
  };
  let nets: FaceApi["nets"];
  try {
    nets = {
      landmarks: load(new FaceLandmarkNet(LANDMARK_68), FACE_API_MANIFESTS.landmarks),
      landmarksTiny: load(new FaceLandmarkNet(LANDMARK_68_TINY), FACE_API_MANIFESTS.landmarksTiny),
      recognition: load(new FaceRecognitionNet(), FACE_API_MANIFESTS.recognition),
      detector: load(new TinyFaceDetector(), FACE_API_MANIFESTS.detector),
    };
  } catch (error) {
    for (const net of made) net.dispose();
    throw error;
  }
  return {
    nets,
    landmarks: (images) => torch.noGrad(() => nets.landmarks.landmarks(images)),
    landmarksTiny: (images) => torch.noGrad(() => nets.landmarksTiny.landmarks(images)),
    descriptor: (images) => torch.noGrad(() => nets.recognition.descriptors(images)),
    detect: (images, detectOptions) => torch.noGrad(() => nets.detector.detect(images, detectOptions)),
    dispose: () => {
      for (const net of Object.values(nets)) net.dispose();
    },
  };
}
