// Animation of real footage (DESIGN section 6, "Real footage"): the source's face is found and
// cropped like the training data, the driving clip's face is tracked and cropped (one box, or a
// smoothed box per frame), the crops are animated by `animate`, and each animated crop is pasted
// back into the full source picture, so the output has the source's size.
import * as torch from "../torch/index.js";
import { loadFaceApi, type FaceApi } from "../faceapi/index.js";
import { centerBox, isFramed, faceCropBox, type CropBox } from "../face/box.js";
import { cropForModel } from "../face/crop.js";
import { detectFaces } from "../face/detect.js";
import { NoFaceError } from "../face/errors.js";
import { pasteBackImage } from "../face/paste.js";
import { trackFaces, type TrackMode } from "../face/track.js";
import { smoothingParams } from "../face/one-euro.js";
import { readImage } from "../media/image-read.js";
import type { RgbImage } from "../media/image.js";
import type { MediaInfo } from "../media/info.js";
import { readFrames } from "../media/video-read.js";
import { probeMedia } from "../media/probe.js";
import { animate, type AnimatedFrame, type AnimationOptions } from "./animate.js";
import type { DiME } from "../dime/dime.js";
import type { FrameSize } from "./model.js";

/**
 * How pictures and frames are brought to the model's size:
 * - "face": the largest face (or `faceIndex`), cropped as the training data was (face/box.ts); no face is an error;
 * - "auto" (default): "face" where a face is found, "center" where none is;
 * - "center": the largest centred square (the old behaviour), "none": the whole picture, the short side padded;
 * - a box: the square covering this rectangle, in pixels (any object).
 */
export type CropChoice = "face" | "auto" | "center" | "none" | { x: number; y: number; width: number; height: number };

export interface FootageOptions extends Omit<AnimationOptions, "smooth"> {
  crop?: CropChoice;
  /** Which face, largest first (default 0). */
  faceIndex?: number;
  /** The driving crop: "fixed" (default, one box for the clip) or "follow". */
  track?: TrackMode;
  /** Detect the driving face on every Nth frame, interpolating between (default 5: docs/animate.md, "Speed"). */
  detectEvery?: number;
  /** Paste the animated crop back into the source (default: when the source was cropped around a face or a box). */
  pasteBack?: boolean;
  /** Smooth the driving keypoints (and a followed box) with this strength (face/one-euro.ts); undefined: not smoothed. */
  smooth?: number;
  /** The driving clip's frames per second (for the filters; default: the clip's, 25 when it has none). */
  rate?: number;
  /** The face nets (default: loaded from models/face-api when needed, freed at the end). */
  faceApi?: FaceApi;
  /** Called while the driving clip is tracked, with the frames read so far. */
  onTrack?: (frames: number) => void;
  /** Called with a line for the user when a choice was made for them (no face: center crop). */
  onNote?: (note: string) => void;
}

export interface FootageJob {
  model: DiME;
  size: FrameSize;
  /** An image file. */
  source: string;
  references?: readonly string[];
  /** A video file, a frame folder or a still image. */
  driving: string;
  /** The driving video's probe, when the caller already has it (saves ffprobe runs). */
  drivingInfo?: MediaInfo;
  options?: FootageOptions;
}

/** How one input was cropped: its box in its own pixels, and whether it was a face. */
export interface CropPlan {
  box: CropBox;
  face: boolean;
}

export interface FootageFrame extends AnimatedFrame {
  /** What is written: the animated crop pasted into the source (the source's size), or the animated crop itself. */
  output: RgbImage;
  /** The full source picture and its crop. */
  sourcePicture: RgbImage;
  sourceCrop: CropPlan;
  /** The driving frame at its own size and its box (undefined when the driving clip was not cropped by box). */
  drivingPicture?: RgbImage;
  drivingBox?: CropBox;
  pasted: boolean;
}

/** The box for a still under `choice` (face boxes come from `api`). */
function stillBox(
  api: () => FaceApi,
  picture: RgbImage,
  file: string,
  choice: CropChoice,
  faceIndex: number,
  size: FrameSize,
  note?: (n: string) => void,
): CropPlan {
  const { width, height } = picture;
  if (choice === "center" || (choice === "auto" && prepared(width, height, size))) return { box: centerBox(width, height), face: false };
  if (choice === "none") return { box: { cx: width / 2, cy: height / 2, side: Math.max(width, height) }, face: false };
  if (typeof choice === "object")
    return {
      box: { cx: choice.x + choice.width / 2, cy: choice.y + choice.height / 2, side: Math.max(choice.width, choice.height) },
      face: false,
    };
  const faces = detectFaces(api(), picture);
  if (faces.length === 0) {
    if (choice === "face") throw new NoFaceError(file);
    note?.(`no face found in ${file}: using the centred square (--crop center)`);
    return { box: centerBox(width, height), face: false };
  }
  if (faceIndex >= faces.length) throw NoFaceError.tooFew(file, faceIndex, faces.length);
  const box = faceCropBox(faces[faceIndex].landmarks);
  // Already framed like the training data (a VoxCeleb-style crop): the whole picture is the crop.
  if (isFramed(box, width, height)) return { box: centerBox(width, height), face: false };
  return { box, face: true };
}

/**
 * `auto` takes a picture no larger than the model's frame as prepared for it (the synthetic
 * benchmark's frames, the demo's pictures): cutting a face out of it would only enlarge pixels.
 */
function prepared(width: number, height: number, size: FrameSize): boolean {
  return Math.min(width, height) <= Math.max(size.width, size.height);
}

function toImage(t: torch.Tensor): RgbImage {
  return { data: t.contiguous().data<"float32">().slice(), width: t.size(2), height: t.size(1) };
}

/** A picture's box cut at the model's size, as planar RGB. */
export function cropImage(picture: RgbImage, box: CropBox, size: FrameSize): RgbImage {
  return torch.tidy(() => toImage(cropForModel(picture, box, size)));
}

/**
 * Animates real footage: yields one frame per driving frame, in order, with `output` at the
 * source's size when pasted back (else at the model's size).
 * @throws NoFaceError naming the file when `crop: "face"` finds no face (or no face `faceIndex`).
 */
export async function* animateFootage(job: FootageJob): AsyncGenerator<FootageFrame> {
  const options = job.options ?? {};
  const choice = options.crop ?? "auto";
  const faceIndex = options.faceIndex ?? 0;
  let owned: FaceApi | undefined;
  const api = () => {
    if (options.faceApi) return options.faceApi;
    owned ??= loadFaceApi();
    return owned;
  };
  try {
    const sourcePicture = await readImage(job.source);
    const sourceCrop = stillBox(api, sourcePicture, job.source, choice, faceIndex, job.size, options.onNote);
    const source = cropImage(sourcePicture, sourceCrop.box, job.size);
    const references: RgbImage[] = [];
    for (const ref of job.references ?? []) {
      const picture = await readImage(ref);
      references.push(cropImage(picture, stillBox(api, picture, ref, choice, 0, job.size, options.onNote).box, job.size));
    }
    let boxes: CropBox[] | undefined;
    const drivingInfo = job.drivingInfo ?? (await probeMedia(job.driving));
    const rate = options.rate ?? (drivingInfo.fps > 0 ? drivingInfo.fps : 25);
    if (choice === "face" || (choice === "auto" && !prepared(drivingInfo.width, drivingInfo.height, job.size))) {
      try {
        const track = await trackFaces(api(), job.driving, {
          every: options.detectEvery ?? 5,
          mode: options.track ?? "fixed",
          faceIndex,
          rate,
          smoothing: options.smooth !== undefined ? smoothingParams(options.smooth) : {},
          onFrame: options.onTrack,
        });
        const framed = options.track !== "follow" && isFramed(track.boxes[0], track.width, track.height);
        boxes = framed ? undefined : track.boxes;
      } catch (error) {
        if (!(error instanceof NoFaceError) || choice === "face") throw error;
        options.onNote?.(`no face found in ${job.driving}: using the centred square (--crop center)`);
      }
    }
    const userBox = typeof choice === "object" ? stillBox(api, sourcePicture, job.source, choice, 0, job.size).box : undefined;
    const plain = !sourceCrop.face && !boxes && !userBox && choice !== "none";
    const pictures: RgbImage[] = []; // the full driving frames read ahead of the output, in order
    const boxOf = (i: number, p: RgbImage): CropBox =>
      userBox ??
      boxes?.[Math.min(i, boxes.length - 1)] ??
      (choice === "none" ? { cx: p.width / 2, cy: p.height / 2, side: Math.max(p.width, p.height) } : centerBox(p.width, p.height));
    async function* drivingCrops(): AsyncGenerator<RgbImage> {
      let i = 0;
      for await (const frame of readFrames(job.driving, { info: drivingInfo })) {
        pictures.push(frame.image);
        yield cropImage(frame.image, boxOf(i++, frame.image), job.size);
      }
    }
    const paste = (options.pasteBack ?? true) && (sourceCrop.face || typeof choice === "object");
    // Nothing cropped around a face or a box: the files go to animate as before (center crop by sharp and ffmpeg).
    const frames = animate({
      model: job.model,
      size: job.size,
      source: plain ? job.source : source,
      references: plain ? job.references : references,
      driving: plain ? job.driving : drivingCrops(),
      drivingInfo,
      options: { ...options, smooth: options.smooth !== undefined ? { rate, params: smoothingParams(options.smooth) } : undefined },
    });
    let index = 0;
    for await (const frame of frames) {
      const drivingPicture = pictures.shift();
      const drivingBox = drivingPicture ? boxOf(index, drivingPicture) : undefined;
      index++;
      const output = paste ? pasteBackImage(sourcePicture, frame.image, sourceCrop.box) : frame.image;
      yield { ...frame, output, sourcePicture, sourceCrop, drivingPicture, drivingBox, pasted: paste };
    }
  } finally {
    owned?.dispose();
  }
}
