// Who judges AKD, CSIM and FD-synth (paper section 4: "For face datasets, we use the facial
// landmark detector [4]" and "a pre-trained face identity recognition model"; DESIGN section 7):
// - synthetic data: the oracles of its kind (models/oracles/<kind>-64), a landmark regressor and an
//   identity embedder trained on dime synth's ground truth; AKD counts the landmarks meta.json marks
//   visible in the real frame (ground truth, the same landmarks for every checkpoint);
// - --face-api: face-api.js's 68 landmarks (AKD, in pixels, every landmark counted) and its 128-d
//   face descriptors (CSIM), for real faces whose face fills most of the frame;
// - otherwise the metric is unavailable, with the reason.
import * as torch from "../torch/index.js";
import type { Device, Tensor } from "../torch/index.js";
import { loadFaceApi, defaultFaceApiDir } from "../faceapi/index.js";
import { loadOracles, ORACLE_SIZE, OracleWeightsError, defaultOracleDir, type Oracles } from "./oracles/index.js";

export interface KeypointJudge {
  describe: string;
  /** "normalized": points in [-1, 1] (align-corners); "pixels": in the frame's pixels. */
  coords: "normalized" | "pixels";
  /** True when the landmarks are meta.json's, so its per-frame visibility says which count. */
  groundTruthVisibility: boolean;
  /** frames (B, 3, H, W) in [0, 1] -> points (B, K, 2) (x, y). */
  detect(frames: Tensor): Tensor;
}

export interface EmbeddingJudge {
  describe: string;
  /** frames (B, 3, H, W) in [0, 1] -> (B, D). */
  embed(frames: Tensor): Tensor;
}

export interface Judges {
  /** AKD's landmark detector. */
  akd?: KeypointJudge;
  /** CSIM's identity embedder. */
  csim?: EmbeddingJudge;
  /** FD-synth's feature extractor (the identity oracle's pooled features). */
  fdSynth?: EmbeddingJudge;
  /** Why a judge is missing. */
  unavailable: { akd?: string; csim?: string; fdSynth?: string };
  dispose(): void;
}

export interface JudgeOptions {
  /** The synthetic kind of the data (undefined: real data). */
  kind?: string;
  /** Use face-api.js's nets for AKD and CSIM: true for the shipped weights, or their folder. */
  faceApi?: boolean | string;
  /** The oracles' folder (default models/oracles/<kind>-64). */
  oracleDir?: string;
  device?: Device;
}

/**
 * frames (B, 3, H, W) -> (B, 3, 64, 64), the oracles' size: average pooling when the sides are
 * multiples of 64 (what rendering at 64 px with more rays per pixel would give), else bilinear.
 */
export function toOracleSize(frames: Tensor): Tensor {
  const [h, w] = [frames.size(2), frames.size(3)];
  if (h === ORACLE_SIZE && w === ORACLE_SIZE) return frames;
  if (h % ORACLE_SIZE === 0 && w % ORACLE_SIZE === 0) return torch.F.avgPool2d(frames, [h / ORACLE_SIZE, w / ORACLE_SIZE]);
  return torch.F.interpolate(frames, { size: ORACLE_SIZE, mode: "bilinear", alignCorners: false });
}

function oracleJudges(oracles: Oracles, dir: string): Pick<Judges, "akd" | "csim" | "fdSynth"> {
  const where = `${oracles.kind} oracles (${dir})`;
  return {
    akd: {
      describe: `landmark oracle of the ${where}, ${oracles.landmarkNames.length} landmarks in the frame's pixels; counted where meta.json marks them visible in the real frame`,
      coords: "normalized",
      groundTruthVisibility: true,
      detect: (frames) => torch.tidy(() => oracles.landmarks(toOracleSize(frames)).points),
    },
    csim: {
      describe: `identity oracle of the ${where}, ${oracles.embeddingDim}-d unit embeddings`,
      embed: (frames) => torch.tidy(() => oracles.embed(toOracleSize(frames))),
    },
    fdSynth: {
      describe: `identity oracle of the ${where}, ${oracles.featureDim}-d pooled features`,
      embed: (frames) => torch.tidy(() => oracles.features(toOracleSize(frames))),
    },
  };
}

/** Loads the judges `options` call for; what cannot be loaded is left out with its reason. */
export function loadJudges(options: JudgeOptions = {}): Judges {
  const unavailable: Judges["unavailable"] = {};
  const disposers: (() => void)[] = [];
  let judges: Pick<Judges, "akd" | "csim" | "fdSynth"> = {};
  if (options.kind !== undefined) {
    const dir = options.oracleDir ?? defaultOracleDir(options.kind);
    try {
      const oracles = loadOracles(options.kind, dir, { device: options.device });
      disposers.push(() => oracles.dispose());
      judges = oracleJudges(oracles, dir);
    } catch (error) {
      if (!(error instanceof OracleWeightsError)) throw error;
      unavailable.akd = unavailable.csim = unavailable.fdSynth = error.message;
    }
  } else {
    unavailable.fdSynth = "not a synthetic dataset (no meta.json): FD-synth is measured with the synthetic oracles only";
  }
  if (options.faceApi) {
    const dir = typeof options.faceApi === "string" ? options.faceApi : defaultFaceApiDir();
    try {
      const faces = loadFaceApi(dir, { device: options.device });
      disposers.push(() => faces.dispose());
      judges.akd = {
        describe: `face-api.js FaceLandmark68Net (${dir}), 68 landmarks in pixels, all counted`,
        coords: "pixels",
        groundTruthVisibility: false,
        detect: (frames) => faces.landmarks(frames),
      };
      judges.csim = { describe: `face-api.js FaceRecognitionNet (${dir}), 128-d descriptors`, embed: (frames) => faces.descriptor(frames) };
      delete unavailable.akd;
      delete unavailable.csim;
    } catch (error) {
      delete judges.akd; // asked for face-api: no silent fall-back to the oracles
      delete judges.csim;
      unavailable.akd = unavailable.csim = `face-api.js weights could not be loaded: ${(error as Error).message}`;
    }
  } else if (options.kind === undefined) {
    const why = "real data (no meta.json) and no --face-api";
    unavailable.akd = `${why}: AKD needs a landmark detector; --face-api gives face-api.js's 68 face landmarks (no body keypoint model is available)`;
    unavailable.csim = `${why}: CSIM needs an identity embedder; --face-api gives face-api.js's face descriptors (no re-identification model is available)`;
  }
  return {
    ...judges,
    unavailable,
    dispose() {
      for (const dispose of disposers) dispose();
    },
  };
}
