// meta.json, the ground truth written beside each synthetic video.
import type { Pose } from "./kind.js";

/** The landmark coordinate convention, spelled out in every file. */
export const LANDMARK_CONVENTION =
  "x right, y down, both in [-1, 1]; pixel i of n is at -1 + 2 i / (n - 1) (grid_sample align_corners=true)";

export interface VideoMeta {
  name: string;
  kind: string;
  split: "train" | "test";
  /** Identity index; videos of one identity share the name prefix before '#'. */
  identity: number;
  seed: number;
  width: number;
  height: number;
  fps: number;
  frames: number;
  convention: string;
  landmarkNames: readonly string[];
  /** (frames, landmarks, 2) positions. */
  landmarks: number[][][];
  /** (frames, landmarks): 1 where the landmark is the first surface the camera sees, else 0. */
  visible: number[][];
  /** Per-frame pose parameters (radians, frame units). */
  pose: Pose[];
  /** The identity's appearance parameters. */
  identityParams: Record<string, unknown>;
}

/** Serialises meta with numbers rounded to 6 decimals (stable, diff-friendly, byte-identical per seed). */
export function metaJson(meta: VideoMeta): string {
  return `${JSON.stringify(meta, (_key, value) => (typeof value === "number" ? Math.round(value * 1e6) / 1e6 : value))}\n`;
}
