// trainOracles: makes the oracles' own training data with `dime synth` (seeds no DiME experiment
// uses), trains the landmark and identity nets on its train split, measures them on its test split
// (identities never seen in training) and writes DIR/{landmarks,identity}.{safetensors,json}.
import { existsSync } from "node:fs";
import { join } from "node:path";

import * as torch from "../../torch/index.js";
import type { ProgressReporter } from "../../util/progress.js";
import { generateDataset } from "../../synth/generate.js";
import type { KindName } from "../../synth/kinds.js";
import { measureIdentity, measureLandmarks, type IdentityAccuracy, type LandmarkAccuracy } from "./accuracy.js";
import { loadSynthSet, readSynthInfo, type SynthSet } from "./synth-set.js";
import { IDENTITY_ARCHITECTURE, IDENTITY_TRAINING, trainIdentityEmbedder, type IdentityTraining } from "./train-identity.js";
import { LANDMARK_ARCHITECTURE, LANDMARK_TRAINING, trainLandmarkRegressor, type LandmarkTraining } from "./train-landmarks.js";
import { defaultOracleDir, ORACLE_SIZE, saveOracle, type OracleNet, type OracleSidecar } from "./weights.js";

/** What `dime synth` makes for one kind's oracles. */
export interface OracleData {
  seed: number;
  videos: number;
  frames: number;
  perIdentity: number;
  testFraction: number;
}

/**
 * The oracles' data per kind. The seeds (1000, 2000, 3000) are kept apart from the DiME
 * experiments' (0 and small numbers) so that no frame an oracle trained on is ever judged by it.
 * Many short videos: identities and poses vary more than frames within a video.
 */
export const ORACLE_DATA: Record<KindName, OracleData> = {
  faces: { seed: 1000, videos: 600, frames: 16, perIdentity: 2, testFraction: 0.1 },
  bodies: { seed: 2000, videos: 600, frames: 16, perIdentity: 2, testFraction: 0.1 },
  shapes: { seed: 3000, videos: 600, frames: 16, perIdentity: 2, testFraction: 0.1 },
};

export interface TrainOraclesOptions {
  kind: KindName;
  /** Where the weights go (default models/oracles/<kind>-64). */
  out?: string;
  /** The dataset folder: reused when it holds this data, generated there when missing. */
  data: string;
  /** Changes to the kind's ORACLE_DATA (smaller trial runs). */
  dataChanges?: Partial<OracleData>;
  /** Which nets to train (default both). */
  nets?: OracleNet[];
  landmarks?: Partial<LandmarkTraining>;
  identity?: Partial<IdentityTraining>;
  /** Seeds libtorch (initialisation, batches, augmentation); default 0. */
  seed?: number;
  /** The command line, written to the sidecars. */
  command: string;
  progress: ProgressReporter;
}

export interface OracleReport {
  out: string;
  landmarks?: LandmarkAccuracy;
  identity?: IdentityAccuracy;
  dataSeconds: number;
}

/** The `dime synth` command that makes the data. */
export function synthCommand(kind: KindName, data: OracleData, out: string): string {
  return `dime synth --kind ${kind} --size ${ORACLE_SIZE} --seed ${data.seed} --videos ${data.videos} --frames ${data.frames} --per-identity ${data.perIdentity} --test-fraction ${data.testFraction} --out ${out}`;
}

/** Makes the data at `dir` unless it is there already; refuses a folder holding other data. */
async function ensureData(kind: KindName, spec: OracleData, dir: string, progress: ProgressReporter): Promise<void> {
  if (existsSync(join(dir, "synth.json"))) {
    const info = readSynthInfo(dir);
    const want = { kind, size: ORACLE_SIZE, ...spec };
    const wrong = Object.entries(want).filter(([key, value]) => (info as unknown as Record<string, unknown>)[key] !== value);
    if (wrong.length > 0) {
      throw new Error(
        `${dir} holds other data (${wrong.map(([key, value]) => `${key} ${(info as unknown as Record<string, unknown>)[key]}, not ${value}`).join("; ")}): remove it or choose another --data`,
      );
    }
    progress.note(`data: reusing ${dir}`);
    return;
  }
  progress.note(`data: ${synthCommand(kind, spec, dir)}`);
  const report = await generateDataset({
    kind,
    size: ORACLE_SIZE,
    out: dir,
    ...spec,
    onProgress: (done, total) => {
      if (done % 100 === 0 || done === total) progress.note(`data: ${done}/${total} videos`);
    },
  });
  progress.note(`data: ${report.frames} frames in ${report.seconds.toFixed(0)} s`);
}

function describeSet(set: SynthSet): Record<string, number> {
  return {
    videos: new Set(set.label.toArray().map((l, n) => `${l}#${set.take[n]}`)).size,
    frames: set.frames.size(0),
    identities: set.identities.length,
  };
}

/** Generates (or reuses) the data, trains the nets, measures them and writes them. */
export async function trainOracles(options: TrainOraclesOptions): Promise<OracleReport> {
  const { kind, progress } = options;
  const out = options.out ?? defaultOracleDir(kind);
  const spec = { ...ORACLE_DATA[kind], ...options.dataChanges };
  const nets = options.nets ?? ["landmarks", "identity"];
  const dataStarted = performance.now();
  await ensureData(kind, spec, options.data, progress);
  const train = await loadSynthSet(options.data, "train");
  const test = await loadSynthSet(options.data, "test");
  const dataSeconds = (performance.now() - dataStarted) / 1000;
  const report: OracleReport = { out, dataSeconds };
  const common = {
    format: "dime-oracle" as const,
    kind,
    size: ORACLE_SIZE,
    landmarkNames: [...train.landmarkNames],
  };
  const trainingRecord = (settings: object, seconds: number) => ({
    command: options.command,
    data: { command: synthCommand(kind, spec, "DATA"), ...spec, train: describeSet(train) },
    heldOut: { split: "test of the same data: identities never seen in training", ...describeSet(test) },
    seed: options.seed ?? 0,
    ...settings,
    threads: torch.getNumThreads(),
    libtorch: torch.libtorchVersion(),
    wallSeconds: Math.round(seconds),
  });
  try {
    if (nets.includes("landmarks")) {
      const settings = { ...LANDMARK_TRAINING, ...options.landmarks };
      progress.note(`landmarks: ${settings.steps} steps of ${settings.batchSize} on ${train.frames.size(0)} frames`);
      torch.manualSeed(options.seed ?? 0);
      const { net, seconds } = trainLandmarkRegressor(train, settings, progress);
      progress.end();
      report.landmarks = measureLandmarks(
        (frames) =>
          torch.inferenceMode(() => {
            const { points, visibleLogit } = net.forward(frames);
            return { points, visible: visibleLogit.gt(0) };
          }),
        test,
      );
      const sidecar: OracleSidecar = {
        ...common,
        net: "landmarks",
        architecture: { numLandmarks: train.landmarkNames.length, ...LANDMARK_ARCHITECTURE },
        training: trainingRecord(settings, seconds),
        accuracy: { ...report.landmarks },
      };
      saveOracle(out, net, sidecar);
      net.dispose();
      progress.note(`landmarks: ${JSON.stringify(report.landmarks)}`);
    }
    if (nets.includes("identity")) {
      const settings = { ...IDENTITY_TRAINING, ...options.identity };
      progress.note(`identity: ${settings.steps} steps of ${settings.batchSize} on ${train.identities.length} identities`);
      torch.manualSeed(options.seed ?? 0);
      const { net, seconds } = trainIdentityEmbedder(train, settings, progress);
      progress.end();
      report.identity = measureIdentity((frames) => torch.inferenceMode(() => net.forward(frames).embedding), test);
      const sidecar: OracleSidecar = {
        ...common,
        net: "identity",
        architecture: { ...IDENTITY_ARCHITECTURE },
        training: trainingRecord(settings, seconds),
        accuracy: { ...report.identity },
      };
      saveOracle(out, net, sidecar);
      net.dispose();
      progress.note(`identity: ${JSON.stringify(report.identity)}`);
    }
  } finally {
    train.dispose();
    test.dispose();
  }
  return report;
}
