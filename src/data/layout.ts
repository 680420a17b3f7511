// The dataset layout of the FOMM family: DIR/train/ and DIR/test/, each video either a folder of
// numbered frames or a video file, with optional meta.json (inside the folder, or NAME.meta.json
// beside the file).
import { existsSync, readdirSync, statSync } from "node:fs";
import { extname, join } from "node:path";

import { MediaError } from "../media/errors.js";
import { listFrames } from "../media/frame-folder.js";
import { statReadable } from "../media/fs-checks.js";
import { probeMedia } from "../media/probe.js";

/** Video file extensions the loader picks up in a split folder. */
export const VIDEO_EXTENSIONS = new Set([".mp4", ".mov", ".mkv", ".webm", ".avi", ".gif", ".m4v"]);

/** One video of a split, with what the loader needs to plan samples without opening it again. */
export interface VideoEntry {
  /** Name without extension (e.g. "id0003#01"). */
  name: string;
  path: string;
  kind: "frames" | "file";
  frameCount: number;
  width: number;
  height: number;
  /** Path of its meta.json when there is one. */
  metaPath?: string;
}

/**
 * Lists the videos of `root/split`, sorted by name. Throws `MediaError` when the split folder is
 * missing or holds no videos, or when a video is unreadable (naming it).
 */
export async function listVideos(root: string, split: "train" | "test"): Promise<VideoEntry[]> {
  const dir = join(root, split);
  try {
    statReadable(dir);
  } catch (error) {
    if (error instanceof MediaError && error.reason === "missing") {
      throw new MediaError(
        dir,
        "missing",
        `no '${split}' folder: a dataset folder holds train/ and test/, each with one frame folder or video file per video`,
      );
    }
    throw error;
  }
  const names = readdirSync(dir)
    .filter((n) => !n.startsWith("."))
    .sort();
  const entries: VideoEntry[] = [];
  for (const n of names) {
    const path = join(dir, n);
    if (statSync(path).isDirectory()) {
      const frames = listFrames(path);
      const info = await probeMedia(path);
      const metaPath = join(path, "meta.json");
      entries.push({
        name: n,
        path,
        kind: "frames",
        frameCount: frames.length,
        width: info.width,
        height: info.height,
        ...(existsSync(metaPath) ? { metaPath } : {}),
      });
    } else if (VIDEO_EXTENSIONS.has(extname(n).toLowerCase())) {
      const info = await probeMedia(path);
      const name = n.slice(0, -extname(n).length);
      const metaPath = join(dir, `${name}.meta.json`);
      entries.push({
        name,
        path,
        kind: "file",
        frameCount: info.frameCount,
        width: info.width,
        height: info.height,
        ...(existsSync(metaPath) ? { metaPath } : {}),
      });
    }
  }
  if (entries.length === 0) throw new MediaError(dir, "empty", "holds no videos (frame folders or .mp4/.mov/.mkv/.webm/.avi/.gif files)");
  return entries;
}
