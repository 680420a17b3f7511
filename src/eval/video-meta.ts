// What the evaluation reads from a synthetic video's meta.json (docs/synth.md): the kind, the
// identity, and the ground-truth visibility of each landmark in each frame. Real datasets have no
// meta.json; a test split is synthetic when every video has one, all of one kind.
import { readFileSync } from "node:fs";

import type { VideoEntry } from "../data/layout.js";
import { MediaError } from "../media/errors.js";

export interface EvalMeta {
  kind: string;
  /** The identity index; videos of one identity share it. */
  identity: number;
  /** (frames, landmarks): 1 where the landmark is seen by the camera, else 0. */
  visible: number[][];
}

/** The evaluation's part of `video`'s meta.json, or undefined when it has none. Throws MediaError for a file that does not parse or lacks the fields. */
export function readEvalMeta(video: VideoEntry): EvalMeta | undefined {
  if (video.metaPath === undefined) return undefined;
  let meta: Partial<EvalMeta>;
  try {
    meta = JSON.parse(readFileSync(video.metaPath, "utf8")) as Partial<EvalMeta>;
  } catch (error) {
    throw new MediaError(
      video.metaPath,
      "corrupt",
      `not readable as JSON (${(error as Error).message}): regenerate the dataset with dime synth or remove the file`,
    );
  }
  // dime crop's meta.json (real footage: source file, frames, boxes) carries no synthetic ground truth.
  if ((meta as { format?: unknown }).format === "dime-crop") return undefined;
  if (typeof meta.kind !== "string" || typeof meta.identity !== "number" || !Array.isArray(meta.visible)) {
    throw new MediaError(
      video.metaPath,
      "corrupt",
      "lacks kind, identity or visible (dime synth writes them): regenerate the dataset or remove the file",
    );
  }
  return { kind: meta.kind, identity: meta.identity, visible: meta.visible };
}

/**
 * The synthetic kind of a test split ("faces", "bodies", "shapes"), or undefined for real data (no
 * video has a meta.json). Throws MediaError when only some videos have one or the kinds differ:
 * the oracles and pairs would then be chosen for part of the data only.
 */
export function datasetKind(videos: readonly VideoEntry[], metas: readonly (EvalMeta | undefined)[]): string | undefined {
  const withMeta = metas.filter((m): m is EvalMeta => m !== undefined);
  if (withMeta.length === 0) return undefined;
  if (withMeta.length < metas.length) {
    const missing = videos[metas.indexOf(undefined)];
    throw new MediaError(
      missing.path,
      "unsupported",
      `has no meta.json while ${withMeta.length} other videos of the split have one: a split is either all synthetic or all real`,
    );
  }
  const kinds = [...new Set(withMeta.map((m) => m.kind))];
  if (kinds.length > 1)
    throw new MediaError(
      videos[0].path,
      "unsupported",
      `the split mixes synthetic kinds (${kinds.join(", ")}): evaluate one kind at a time`,
    );
  return kinds[0];
}
