// Writes a planar RGB float picture as PNG or JPEG (chosen by the file extension), atomically.
import { writeFileSync } from "node:fs";
import { extname } from "node:path";

import sharp from "sharp";

import { commitTemp, discardTemp, tempPathFor } from "./atomic.js";
import { writeCause } from "../io/write-errors.js";
import { MediaError } from "./errors.js";
import { imageToRgb24, type RgbImage } from "./image.js";

export interface WriteImageOptions {
  /** JPEG quality 1..100 (default 95). */
  quality?: number;
}

/** Encodes (3, H, W) float RGB in [0, 1] (clamped) as PNG or JPEG bytes. */
export async function encodeImage(image: RgbImage, format: "png" | "jpeg", options: WriteImageOptions = {}): Promise<Buffer> {
  return encodeRgb24(imageToRgb24(image), image.width, image.height, format, options);
}

/** Encodes interleaved 8-bit RGB (HWC) as PNG or JPEG bytes. PNG output is deterministic. */
export async function encodeRgb24(
  pixels: Uint8Array,
  width: number,
  height: number,
  format: "png" | "jpeg",
  options: WriteImageOptions = {},
): Promise<Buffer> {
  const image = sharp(pixels, { raw: { width, height, channels: 3 } });
  return format === "png"
    ? image.png({ compressionLevel: 6, adaptiveFiltering: false }).toBuffer()
    : image.jpeg({ quality: options.quality ?? 95 }).toBuffer();
}

/** The image format for an output path, or a `MediaError` saying which extensions work. */
export function imageFormatFor(path: string): "png" | "jpeg" {
  const ext = extname(path).toLowerCase();
  if (ext === ".png") return "png";
  if (ext === ".jpg" || ext === ".jpeg") return "jpeg";
  throw new MediaError(path, "unsupported", `cannot write '${ext || "no extension"}' images: use .png, .jpg or .jpeg`);
}

/** Writes `image` to `path` (PNG or JPEG by extension) through a temporary file and a rename. */
export async function writeImage(path: string, image: RgbImage, options: WriteImageOptions = {}): Promise<void> {
  await writeEncoded(path, await encodeImage(image, imageFormatFor(path), options));
}

/** Writes already-encoded bytes to `path` through a temporary file and a rename. */
export async function writeEncoded(path: string, bytes: Uint8Array): Promise<void> {
  const temp = tempPathFor(path);
  try {
    writeFileSync(temp, bytes);
    commitTemp(temp, path);
  } catch (error) {
    discardTemp(temp);
    const cause = writeCause(path, error);
    throw new MediaError(path, "write", cause, `cannot write ${path}: ${cause}`, { cause: error });
  }
}
