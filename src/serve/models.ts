// The models the page offers: the shipped demo model and every complete checkpoint found under
// --models (a few folders deep), each with its frame size, step, references and what it was
// trained on. Clients pick one by an opaque id; loaded models are kept for the next job.
import { createHash } from "node:crypto";
import { readdirSync, type Dirent } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";

import type { DiME } from "../dime/dime.js";
import { listCheckpoints, type CheckpointEntry } from "../checkpoint/index.js";
import { loadModel, type FrameSize } from "../infer/model.js";
import { DEMO_MODEL } from "./assets.js";

export interface ModelEntry {
  id: string;
  /** The checkpoint's folder relative to --models ("demo" for the shipped one). */
  name: string;
  weightsPath: string;
  size: FrameSize;
  step: number;
  /** The config's num_refs: references the model was trained with. */
  refs: number;
  /** What the weights were trained on, as far as the checkpoint records it. */
  trainedOn: string;
  demo: boolean;
}

/** Folders below --models searched for checkpoints; deeper ones are not looked at. */
const MAX_DEPTH = 4;

/** The demo model first, then the latest checkpoint of every folder under `modelsDir`, by name. */
export function listModels(modelsDir?: string): ModelEntry[] {
  const demo = latestIn(DEMO_MODEL);
  const models: ModelEntry[] = demo ? [describe(demo, "demo", true)] : [];
  if (modelsDir) {
    const root = resolve(modelsDir);
    for (const folder of checkpointFolders(root, 0)) {
      const entry = latestIn(folder);
      if (entry && resolve(entry.weightsPath) !== resolve(demo?.weightsPath ?? ""))
        models.push(describe(entry, relative(root, runFolderOf(folder)) || basename(root), false));
    }
  }
  return models;
}

function latestIn(folder: string): CheckpointEntry | undefined {
  return listCheckpoints(folder, false).at(-1);
}

/** A run's checkpoints live in RUN/checkpoints: name the run, not "checkpoints". */
function runFolderOf(folder: string): string {
  return basename(folder) === "checkpoints" ? dirname(folder) : folder;
}

function checkpointFolders(folder: string, depth: number): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(folder, { withFileTypes: true });
  } catch {
    return [];
  }
  const here = entries.some((e) => e.isFile() && /^step-\d+\.json$/.test(e.name)) ? [folder] : [];
  if (depth >= MAX_DEPTH) return here;
  const below = entries.filter((e) => e.isDirectory() && !e.name.startsWith(".")).sort((a, b) => a.name.localeCompare(b.name));
  return [...here, ...below.flatMap((e) => checkpointFolders(join(folder, e.name), depth + 1))];
}

function describe(entry: CheckpointEntry, name: string, demo: boolean): ModelEntry {
  const { config, recalibrated, imported } = entry.sidecar;
  const [height, width] = config.dataset_params.frame_shape;
  const trainedOn = demo
    ? "synthetic cartoon faces (dime synth --kind faces, 64x64)"
    : imported
      ? `imported from ${imported.model.toUpperCase()}'s ${basename(imported.checkpoint)} (the file names its data)`
      : recalibrated?.data
        ? `${basename(recalibrated.data)} (the data its batch norms were recalibrated on)`
        : "not recorded in the checkpoint";
  const id = createHash("sha256").update(resolve(entry.weightsPath)).digest("hex").slice(0, 16);
  return {
    id,
    name,
    weightsPath: entry.weightsPath,
    size: { width, height },
    step: entry.step,
    refs: config.model_params.switches.num_refs,
    trainedOn,
    demo,
  };
}

/** Loaded models by id, shared by the jobs and live sessions of that model; all freed by `dispose`. */
export class ModelCache {
  readonly #models = new Map<string, DiME>();

  get(entry: ModelEntry): DiME {
    let model = this.#models.get(entry.id);
    if (!model) {
      model = loadModel(entry.weightsPath).model;
      this.#models.set(entry.id, model);
    }
    return model;
  }

  dispose(): void {
    for (const model of this.#models.values()) model.dispose();
    this.#models.clear();
  }
}
