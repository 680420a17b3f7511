// A video stored as a folder of numbered frames (`000000.png`, `000001.png`, ...), the layout of
// FOMM-family datasets. Its fps comes from `meta.json` in the folder, else 25.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";

import { MediaError } from "./errors.js";

/** Still-image extensions dime reads (sharp's formats plus BMP). */
export const IMAGE_EXTENSIONS = new Set([".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif"]);

/** The fps a frame folder gets when its `meta.json` does not say. */
export const DEFAULT_FOLDER_FPS = 25;

/**
 * The frame files of `dir`, in order: by the last number in each name, then by name. Files that
 * are not images (meta.json, .txt) are skipped. Throws `MediaError` ("empty") when none is left.
 */
export function listFrames(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    throw new MediaError(
      dir,
      "unreadable",
      `cannot list the folder (${(error as NodeJS.ErrnoException).code ?? String(error)}): check its permissions`,
    );
  }
  const frames = names.filter((n) => !n.startsWith(".") && IMAGE_EXTENSIONS.has(extname(n).toLowerCase()));
  if (frames.length === 0) throw new MediaError(dir, "empty", "folder holds no frames: expected numbered images such as 000000.png");
  const key = (name: string) => {
    const digits = name.match(/(\d+)(?!.*\d)/);
    return digits ? Number(digits[1]) : -1;
  };
  frames.sort((a, b) => key(a) - key(b) || (a < b ? -1 : a > b ? 1 : 0));
  return frames.map((n) => join(dir, n));
}

/** The fps stored in `dir/meta.json` (`{"fps": 25}`), else `DEFAULT_FOLDER_FPS`. */
export function folderFps(dir: string): number {
  const metaPath = join(dir, "meta.json");
  if (!existsSync(metaPath)) return DEFAULT_FOLDER_FPS;
  try {
    const fps = (JSON.parse(readFileSync(metaPath, "utf8")) as { fps?: unknown }).fps;
    return typeof fps === "number" && fps > 0 ? fps : DEFAULT_FOLDER_FPS;
  } catch {
    throw new MediaError(metaPath, "corrupt", "is not valid JSON: fix or delete it");
  }
}
