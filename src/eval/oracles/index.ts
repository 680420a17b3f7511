// The synthetic benchmark's oracles (DESIGN section 7): a landmark regressor for AKD and an
// identity embedder for CSIM and FD-synth, trained by the project on `dime synth` ground truth and
// shipped in models/oracles/<kind>-64. docs/oracles.md has the architecture, data and accuracy.
export { loadOracles, type Oracles, type LoadOraclesOptions } from "./load.js";
export { defaultOracleDir, OracleWeightsError, ORACLE_SIZE, type OracleNet, type OracleSidecar } from "./weights.js";
export {
  measureLandmarks,
  measureIdentity,
  type LandmarkAccuracy,
  type IdentityAccuracy,
  type LandmarkFn,
  type EmbedFn,
} from "./accuracy.js";
export { loadSynthSet, readSynthInfo, type SynthSet, type SynthInfo } from "./synth-set.js";
export { trainOracles, ORACLE_DATA, synthCommand, type TrainOraclesOptions, type OracleReport, type OracleData } from "./trainer.js";
export { LandmarkRegressor, type LandmarkRegressorOptions } from "./landmarks.js";
export { IdentityEmbedder, type IdentityEmbedderOptions } from "./identity.js";
