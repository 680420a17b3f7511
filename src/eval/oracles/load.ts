// loadOracles: the shipped landmark and identity oracles of one synthetic kind, ready to judge
// frames (what `dime eval` uses for AKD, CSIM and FD-synth on the synthetic benchmark).
import * as torch from "../../torch/index.js";
import type { Device, Tensor } from "../../torch/index.js";
import type { Module } from "../../nn/index.js";
import { IdentityEmbedder, type IdentityEmbedderOptions } from "./identity.js";
import { LandmarkRegressor, type LandmarkRegressorOptions } from "./landmarks.js";
import { defaultOracleDir, ORACLE_SIZE, OracleWeightsError, readOracle, type OracleNet, type OracleSidecar } from "./weights.js";

export interface Oracles {
  kind: string;
  /** The landmark names, in the order of `points`. */
  landmarkNames: readonly string[];
  /**
   * frames (B, 3, 64, 64) in [0, 1] -> points (B, K, 2) in [-1, 1] (x right, y down, align-corners
   * convention, hidden landmarks included), visible (B, K) bool, visibility (B, K) its probability.
   */
  landmarks(frames: Tensor): { points: Tensor; visible: Tensor; visibility: Tensor };
  /** frames (B, 3, 64, 64) in [0, 1] -> (B, D) unit vectors; CSIM is the dot product of two. */
  embed(frames: Tensor): Tensor;
  /** frames (B, 3, 64, 64) in [0, 1] -> (B, F) pooled features of the identity net, FD-synth's space. */
  features(frames: Tensor): Tensor;
  /** D and F. */
  embeddingDim: number;
  featureDim: number;
  /** The sidecars: how each net was trained and its measured accuracy. */
  sidecars: Record<OracleNet, OracleSidecar>;
  dispose(): void;
}

export interface LoadOraclesOptions {
  /** Where the nets run (default cpu). */
  device?: Device;
}

function build<M extends Module>(
  net: OracleNet,
  dir: string,
  kind: string,
  make: (sidecar: OracleSidecar) => M,
): { module: M; sidecar: OracleSidecar } {
  const { sidecar, tensors } = readOracle(dir, net, kind);
  const module = make(sidecar);
  try {
    module.loadStateDict(tensors);
  } catch (error) {
    module.dispose();
    throw new OracleWeightsError(
      `${dir}/${net}.safetensors does not fit the architecture of ${net}.json: ${(error as Error).message.split("\n")[0]}`,
    );
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
  return { module: module.eval(), sidecar };
}

function checkFrames(frames: Tensor): void {
  const [, c, h, w] = frames.shape;
  if (frames.ndim !== 4 || c !== 3 || h !== ORACLE_SIZE || w !== ORACLE_SIZE) {
    throw new RangeError(
      `the synthetic oracles take frames (B, 3, ${ORACLE_SIZE}, ${ORACLE_SIZE}) in [0, 1], got [${frames.shape.join(", ")}]: resize to ${ORACLE_SIZE} px first`,
    );
  }
}

/**
 * Loads the landmark and identity oracles of `kind` from `dir` (default models/oracles/<kind>-64).
 * Throws OracleWeightsError, one line naming the file and the command that trains it, when a file
 * is missing or belongs to another net or kind.
 */
export function loadOracles(kind: string, dir = defaultOracleDir(kind), options: LoadOraclesOptions = {}): Oracles {
  const device = options.device ?? "cpu";
  const landmarkNet = build("landmarks", dir, kind, (s) => new LandmarkRegressor(s.architecture as unknown as LandmarkRegressorOptions));
  let identityNet: ReturnType<typeof build<IdentityEmbedder>>;
  try {
    identityNet = build("identity", dir, kind, (s) => new IdentityEmbedder(s.architecture as unknown as IdentityEmbedderOptions));
  } catch (error) {
    landmarkNet.module.dispose();
    throw error;
  }
  const regressor = landmarkNet.module.to(device);
  const embedder = identityNet.module.to(device);
  const identity = (frames: Tensor) => {
    checkFrames(frames);
    return torch.inferenceMode(() => embedder.forward(frames));
  };
  return {
    kind,
    landmarkNames: landmarkNet.sidecar.landmarkNames,
    landmarks(frames) {
      checkFrames(frames);
      return torch.inferenceMode(() =>
        torch.tidy(() => {
          const { points, visibleLogit } = regressor.forward(frames);
          const visibility = visibleLogit.sigmoid();
          return { points, visible: visibility.gt(0.5), visibility };
        }),
      );
    },
    embed: (frames) => torch.tidy(() => identity(frames).embedding),
    features: (frames) => torch.tidy(() => identity(frames).features),
    embeddingDim: embedder.options.embeddingDim,
    featureDim: embedder.featureDim,
    sidecars: { landmarks: landmarkNet.sidecar, identity: identityNet.sidecar },
    dispose() {
      regressor.dispose();
      embedder.dispose();
    },
  };
}
