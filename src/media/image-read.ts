// Reads any still image (PNG, JPEG, WebP, TIFF, GIF first frame, BMP) as planar RGB float32 in [0, 1].
import { readFileSync } from "node:fs";

import sharp, { type Sharp } from "sharp";

import { decodeBmp, isBmp } from "./bmp.js";
import { MediaError } from "./errors.js";
import { containBox, fitProblem, type FitOptions } from "./fit.js";
import { statReadable } from "./fs-checks.js";
import type { Rgb, RgbImage } from "./image.js";

export interface ReadImageOptions {
  /** The colour transparent pixels are composited onto; RGB in [0, 1]. Default white. */
  background?: Rgb;
  /** Resize (anti-aliased) to this size; without it the picture keeps its own size. */
  fit?: FitOptions;
}

const WHITE: Rgb = [1, 1, 1];

/**
 * Reads the image at `path`: grey, grey+alpha, RGB, RGBA (composited on `background`), palette,
 * CMYK (converted through its ICC profile, or libvips' default CMYK profile), 8 or 16 bits,
 * turned upright by its EXIF orientation. Returns (3, H, W) float32 in [0, 1].
 * Throws `MediaError` naming the file when it is missing, unreadable or not a decodable image.
 */
export async function readImage(path: string, options: ReadImageOptions = {}): Promise<RgbImage> {
  const { kind } = statReadable(path);
  if (kind === "folder") throw new MediaError(path, "unsupported", "is a folder, not an image");
  return decodeImage(readFileSync(path), path, options);
}

/** `readImage` for bytes already in memory; `name` is used in error messages. */
export async function decodeImage(bytes: Uint8Array, name: string, options: ReadImageOptions = {}): Promise<RgbImage> {
  if (options.fit) {
    const problem = fitProblem(options.fit);
    if (problem) throw new RangeError(problem);
  }
  if (bytes.length === 0) throw emptyFile(name);
  let pipeline: Sharp;
  if (isBmp(bytes)) {
    try {
      pipeline = bmpPipeline(bytes);
    } catch (error) {
      throw new MediaError(name, "corrupt", `cannot decode BMP: ${(error as Error).message}`);
    }
  } else {
    try {
      pipeline = sharp(bytes, { pages: 1, failOn: "error" });
    } catch (error) {
      throw sharpError(name, error);
    }
  }
  try {
    const background = toSharpColour(options.background ?? WHITE);
    // 8-bit pictures are read as 8-bit: libvips' 8-to-16-bit conversion is not v * 257 (1 becomes
    // 511, 132 becomes 33792), so v / 255 only holds on the 8-bit path.
    const eightBit = ["uchar", "char"].includes((await pipeline.metadata()).depth ?? "");
    pipeline = pipeline
      .rotate()
      .flatten({ background })
      .toColourspace(eightBit ? "srgb" : "rgb16");
    if (options.fit) pipeline = await applyFit(pipeline, options.fit);
    const { data, info } = await pipeline.raw(eightBit ? {} : { depth: "ushort" }).toBuffer({ resolveWithObject: true });
    const samples = eightBit ? data : new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2);
    return planarFrom(samples, eightBit ? 255 : 65535, info.width, info.height, info.channels);
  } catch (error) {
    throw sharpError(name, error);
  }
}

function bmpPipeline(bytes: Uint8Array): Sharp {
  const bmp = decodeBmp(bytes);
  return sharp(bmp.pixels, { raw: { width: bmp.width, height: bmp.height, channels: bmp.channels } });
}

async function applyFit(pipeline: Sharp, fit: FitOptions): Promise<Sharp> {
  const { width, height } = fit;
  if ((fit.crop ?? "center") === "center") {
    return pipeline.resize(width, height, { fit: "cover", position: "centre", kernel: "lanczos3" });
  }
  // sharp resizes after it rotates, so the box is computed from the upright size.
  const meta = await pipeline.metadata();
  const upright = meta.autoOrient ?? { width: meta.width, height: meta.height };
  const box = containBox(upright.width, upright.height, width, height);
  const extendWith = fit.pad === "edge" ? "copy" : fit.pad === "mirror" ? "mirror" : "background";
  return pipeline.resize(box.w, box.h, { fit: "fill", kernel: "lanczos3" }).extend({
    top: box.top,
    bottom: box.bottom,
    left: box.left,
    right: box.right,
    extendWith,
    background: toSharpColour(fit.padColor ?? [0, 0, 0]),
  });
}

/** Interleaved RGB(A) samples of full scale `max` as planar RGB in [0, 1]. */
function planarFrom(samples: Uint8Array | Uint16Array, max: number, width: number, height: number, channels: number): RgbImage {
  const plane = width * height;
  const data = new Float32Array(plane * 3);
  for (let i = 0, j = 0; i < plane; i++, j += channels) {
    data[i] = samples[j] / max;
    data[plane + i] = samples[j + 1] / max;
    data[2 * plane + i] = samples[j + 2] / max;
  }
  return { data, width, height };
}

function toSharpColour(rgb: Rgb) {
  const c = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * 255);
  return { r: c(rgb[0]), g: c(rgb[1]), b: c(rgb[2]) };
}

/** The error for a file of 0 bytes (an interrupted copy or download, usually). */
export function emptyFile(name: string): MediaError {
  return new MediaError(name, "empty", "is empty (0 bytes): its copy or download was cut short; get the file again");
}

/** Maps libvips' messages to a `MediaError` with a reason and a hint. */
export function sharpError(name: string, error: unknown): MediaError {
  if (error instanceof MediaError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/unsupported image format|not a known file format|bad seek|source_load/i.test(message)) {
    return new MediaError(name, "unsupported", "is not an image dime can read (PNG, JPEG, WebP, TIFF, GIF, BMP)");
  }
  if (/pixel limit/i.test(message))
    return new MediaError(name, "unsupported", "is larger than 268 megapixels, the most dime decodes: downscale it first");
  return new MediaError(name, "corrupt", `cannot decode image (${message}): the file may be truncated or damaged`);
}
