// Uploads: a picture (source or reference) or a driving video, received as multipart/form-data,
// streamed to a random name in the work folder with a size limit, then checked by content (first
// bytes, then sharp or ffprobe) and refused with one line (4xx) when it is not what was asked for.
import { closeSync, createWriteStream, openSync, readSync, renameSync, statSync } from "node:fs";
import { pipeline } from "node:stream/promises";

import type { FastifyRequest } from "fastify";
import sharp from "sharp";

import { MediaError } from "../media/errors.js";
import { readImage } from "../media/image-read.js";
import { probeMedia } from "../media/probe.js";
import type { ServeLimits } from "./options.js";
import { EXTENSIONS, PROBED_FORMATS, sniffPicture, sniffVideo } from "./sniff.js";
import { randomId, type WorkFolder } from "./work.js";

export type UploadKind = "picture" | "video";

/** A request the server refuses: `message` is one line for the page, `status` the HTTP code. */
export class RequestError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = "RequestError";
  }
}

export interface Upload {
  id: string;
  kind: UploadKind;
  /** The client's file name, for messages only (never part of a path). */
  name: string;
  path: string;
  bytes: number;
  format: string;
  width: number;
  height: number;
  /** 1 for pictures. */
  frames: number;
  /** Seconds; 0 for pictures. */
  duration: number;
}

/** A file name fit to show: no folders, no control characters, at most 80 characters. */
export function displayName(name: string | undefined): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  const clean = (name ?? "").replace(/[\u0000-\u001f\u007f]/g, "").trim();
  return (clean.length > 80 ? `${clean.slice(0, 77)}...` : clean) || "upload";
}

const mib = (bytes: number) => `${Math.round((bytes / 2 ** 20) * 10) / 10} MiB`;

/**
 * Receives one file of `kind` from a multipart request; throws RequestError for anything amiss.
 * `forget(id)` is called if the work folder's cap removes the file later.
 */
export async function receiveUpload(
  request: FastifyRequest,
  kind: UploadKind,
  work: WorkFolder,
  limits: ServeLimits,
  forget: (id: string) => void,
): Promise<Upload> {
  const maxBytes = kind === "picture" ? limits.pictureBytes : limits.videoBytes;
  let part: Awaited<ReturnType<FastifyRequest["file"]>>;
  try {
    part = await request.file({ limits: { fileSize: maxBytes, files: 1, fields: 4, parts: 5 } });
  } catch (error) {
    throw new RequestError(`malformed upload: send one file as multipart/form-data (${(error as Error).message})`);
  }
  if (!part) throw new RequestError("malformed upload: the request holds no file");
  const name = displayName(part.filename);
  const partial = work.newPath("uploads", ".part");
  try {
    await pipeline(part.file, createWriteStream(partial, { flags: "wx" }));
  } catch (error) {
    work.remove(partial);
    throw new RequestError(`${name}: the upload was interrupted (${(error as Error).message})`);
  }
  if (part.file.truncated) {
    work.remove(partial);
    throw new RequestError(`${name}: is over the ${mib(maxBytes)} limit for a ${kind}`, 413);
  }
  try {
    const checked = kind === "picture" ? await checkPicture(partial, name, limits) : await checkVideo(partial, name, limits);
    const path = partial.replace(/\.part$/, checked.ext);
    renameSync(partial, path);
    const id = randomId();
    work.track(path, "uploads", () => forget(id));
    if (!work.makeRoom()) {
      work.remove(path);
      throw new RequestError(
        `${name}: the work folder is full (cap ${mib(work.capBytes)}) and every file in it is in use; wait for the running jobs`,
        507,
      );
    }
    const { ext: _ext, ...info } = checked;
    return { id, kind, name, path, ...info };
  } catch (error) {
    work.remove(partial);
    if (error instanceof RequestError) throw error;
    if (error instanceof MediaError) throw new RequestError(`${name}: ${error.message.slice(error.file.length + 2)}`);
    throw error;
  }
}

function head(path: string): { bytes: Uint8Array; size: number } {
  const fd = openSync(path, "r");
  try {
    const bytes = new Uint8Array(16);
    const size = readSync(fd, bytes, 0, 16, 0);
    return { bytes: bytes.subarray(0, size), size };
  } finally {
    closeSync(fd);
  }
}

type Checked = Omit<Upload, "id" | "kind" | "name" | "path"> & { ext: string };

async function checkPicture(path: string, name: string, limits: ServeLimits): Promise<Checked> {
  const { bytes, size } = head(path);
  if (size === 0) throw new RequestError(`${name}: is empty (0 bytes)`);
  const format = sniffPicture(bytes);
  if (!format)
    throw new RequestError(`${name}: is not a picture dime reads (PNG, JPEG, WebP, TIFF, GIF, BMP), whatever its name says`, 415);
  let width: number, height: number;
  if (format === "bmp") {
    ({ width, height } = await readImage(path));
  } else {
    try {
      const meta = await sharp(path, { failOn: "error", limitInputPixels: limits.side * limits.side }).metadata();
      [width, height] = [meta.width ?? 0, meta.height ?? 0];
    } catch (error) {
      throw new RequestError(`${name}: is a damaged or oversized ${format.toUpperCase()} (${(error as Error).message.split("\n")[0]})`);
    }
  }
  if (width > limits.side || height > limits.side)
    throw new RequestError(`${name}: is ${width}x${height}, over the ${limits.side} pixel limit per side`, 413);
  // Decoded once in full, so a truncated file is refused now rather than when its job runs.
  await readImage(path, { fit: { width: 8, height: 8, crop: "center" } });
  return { bytes: fileSize(path), format, width, height, frames: 1, duration: 0, ext: EXTENSIONS[format] };
}

async function checkVideo(path: string, name: string, limits: ServeLimits): Promise<Checked> {
  const { bytes, size } = head(path);
  if (size === 0) throw new RequestError(`${name}: is empty (0 bytes)`);
  const container = sniffVideo(bytes);
  if (!container)
    throw new RequestError(`${name}: is not a video dime reads (MP4/MOV, MKV/WebM, AVI, animated GIF), whatever its name says`, 415);
  const typed = path.replace(/\.part$/, `.probe${EXTENSIONS[container]}`);
  renameSync(path, typed);
  try {
    const info = await probeMedia(typed);
    if (info.kind !== "video") throw new RequestError(`${name}: is a single picture, not a driving video`);
    if (!PROBED_FORMATS[container].test(info.format))
      throw new RequestError(`${name}: its content (${info.format}) does not match its ${container} header; refused`, 415);
    if (info.frameCount > limits.videoFrames)
      throw new RequestError(`${name}: has ${info.frameCount} frames, over the limit of ${limits.videoFrames}`, 413);
    if (info.width > limits.side || info.height > limits.side)
      throw new RequestError(`${name}: is ${info.width}x${info.height}, over the ${limits.side} pixel limit per side`, 413);
    return {
      bytes: fileSize(typed),
      format: info.format.split(",")[0],
      width: info.width,
      height: info.height,
      frames: info.frameCount,
      duration: info.duration,
      ext: EXTENSIONS[container],
    };
  } finally {
    renameSync(typed, path);
  }
}

function fileSize(path: string): number {
  return statSync(path).size;
}
