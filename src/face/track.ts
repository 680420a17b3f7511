// Following a face through a clip: detection and landmarks on every frame or every Nth frame
// (boxes interpolated between), the same face kept by overlap, frames without a face holding the
// last box, then one box for the whole clip (`fixed`, as FOMM's datasets were cut) or the
// per-frame boxes smoothed over time (`follow`).
import type { Tensor } from "../torch/index.js";
import type { FaceApi } from "../faceapi/index.js";
import { iou, type Box } from "../faceapi/detections.js";
import type { RgbImage } from "../media/image.js";
import { readFrames } from "../media/video-read.js";
import { faceCropBox, type CropBox } from "./box.js";
import { detectFaces, type DetectFacesOptions, type Face } from "./detect.js";
import { NoFaceError } from "./errors.js";
import { OneEuroFilter, type OneEuroParams } from "./one-euro.js";

export type TrackMode = "fixed" | "follow";

export interface TrackOptions {
  /** Detect on every Nth frame (and the last), interpolating the boxes between (default 1: every frame). */
  every?: number;
  /** "fixed" (default): one box for the clip; "follow": a box per frame, smoothed. */
  mode?: TrackMode;
  /** Which face of the first frame with faces to follow, largest first (default 0). */
  faceIndex?: number;
  /** The follow box's one-euro filter, in units of half the box's side (default: the filter's defaults); false: no smoothing. */
  smoothing?: OneEuroParams | false;
  /** Frames per second, for the filter (default 25). */
  rate?: number;
  detect?: DetectFacesOptions;
  /** The clip's name for errors (default: the path, or "driving video"). */
  name?: string;
  /** Called after each frame read, with the count so far. */
  onFrame?: (frames: number) => void;
}

export interface FaceTrack {
  /** The box each frame is cropped with (fixed: the same box for every frame). */
  boxes: CropBox[];
  /** Per frame, the box from its own landmarks, before holding, interpolation and smoothing (undefined: not detected there, or no face). */
  detected: (CropBox | undefined)[];
  /** The followed face on each frame where detection ran and found it. */
  faces: (Face | undefined)[];
  /** Frames where detection ran. */
  detections: number;
  width: number;
  height: number;
}

/** The face on a frame that continues the track: the best overlap with the last detector box (none below IoU 0.1 counts), or the `faceIndex`-th largest to start. */
function pick(faces: Face[], last: Box | undefined, faceIndex: number): Face | undefined {
  if (!last) return faces[faceIndex];
  let best: Face | undefined;
  let bestOverlap = 0.1;
  for (const face of faces) {
    const overlap = iou(face.box, last);
    if (overlap > bestOverlap) [best, bestOverlap] = [face, overlap];
  }
  return best;
}

const lerp = (a: CropBox, b: CropBox, t: number): CropBox => ({
  cx: a.cx + (b.cx - a.cx) * t,
  cy: a.cy + (b.cy - a.cy) * t,
  side: a.side + (b.side - a.side) * t,
});

/** Fills the frames without a box: between two detected frames, linearly; after the last one, it is held; before the first, the first is used. */
export function fillBoxes(detected: readonly (CropBox | undefined)[]): CropBox[] {
  const known = detected.flatMap((b, i) => (b ? [i] : []));
  if (known.length === 0) throw new RangeError("fillBoxes: no box at all");
  return detected.map((box, i) => {
    if (box) return box;
    const after = known.find((k) => k > i);
    const before = [...known].reverse().find((k) => k < i);
    if (before === undefined) return detected[after!]!;
    if (after === undefined) return detected[before]!;
    return lerp(detected[before]!, detected[after]!, (i - before) / (after - before));
  });
}

/** One box for the whole clip: centred on the middle of the boxes' centres, side the mean side plus the centres' spread, so the face stays inside on every frame. */
export function fixedBox(boxes: readonly CropBox[]): CropBox {
  const xs = boxes.map((b) => b.cx);
  const ys = boxes.map((b) => b.cy);
  const spread = Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys));
  const side = boxes.reduce((s, b) => s + b.side, 0) / boxes.length + spread;
  return { cx: (Math.max(...xs) + Math.min(...xs)) / 2, cy: (Math.max(...ys) + Math.min(...ys)) / 2, side };
}

/** Per-frame boxes through a one-euro filter, in units of half the first box's side (the keypoints' [-1, 1] scale). */
export function smoothBoxes(boxes: readonly CropBox[], rate: number, params: OneEuroParams = {}): CropBox[] {
  const unit = boxes[0].side / 2;
  const filter = new OneEuroFilter(rate, params);
  return boxes.map((b) => {
    const [cx, cy, side] = filter.filter([b.cx / unit, b.cy / unit, b.side / unit]);
    return { cx: cx * unit, cy: cy * unit, side: side * unit };
  });
}

/**
 * Tracks one face through `video` (a file ffmpeg reads, a frame folder, or frames in memory:
 * (3, H, W) tensors or planar RGB) and returns the box to crop each frame with.
 * @throws NoFaceError naming the clip when no frame has a face.
 */
export async function trackFaces(
  api: FaceApi,
  video: string | Iterable<Tensor | RgbImage> | AsyncIterable<Tensor | RgbImage>,
  options: TrackOptions = {},
): Promise<FaceTrack> {
  const every = options.every ?? 1;
  if (!Number.isInteger(every) || every < 1) throw new RangeError(`trackFaces: every must be a positive integer, got ${every}`);
  const name = options.name ?? (typeof video === "string" ? video : "driving video");
  const detected: (CropBox | undefined)[] = [];
  const faces: (Face | undefined)[] = [];
  let last: Box | undefined;
  let [width, height, detections] = [0, 0, 0];
  let pending: Tensor | RgbImage | undefined; // the latest frame not detected, for the clip's last frame
  const look = (frame: Tensor | RgbImage) => {
    detections++;
    const face = pick(detectFaces(api, frame, options.detect), last, options.faceIndex ?? 0);
    faces[detected.length - 1] = face;
    if (face) {
      last = face.box;
      detected[detected.length - 1] = faceCropBox(face.landmarks);
    }
  };
  const frames = typeof video === "string" ? mapFrames(readFrames(video)) : video;
  for await (const frame of frames) {
    const index = detected.length;
    detected.push(undefined);
    if (index === 0) [width, height] = sizeOf(frame);
    pending = undefined;
    if (index % every === 0) look(frame);
    else pending = frame;
    options.onFrame?.(index + 1);
  }
  if (pending) {
    // The last frame always gets a detection, so interpolation never extrapolates at the end.
    look(pending);
  }
  if (detected.length === 0) throw new RangeError(`${name}: holds no frames`);
  if (!detected.some(Boolean)) throw new NoFaceError(name);
  const filled = fillBoxes(detected);
  const mode = options.mode ?? "fixed";
  let boxes: CropBox[];
  if (mode === "fixed") {
    const box = fixedBox(filled);
    boxes = filled.map(() => box);
  } else {
    boxes = options.smoothing === false ? filled : smoothBoxes(filled, options.rate ?? 25, options.smoothing ?? {});
  }
  return { boxes, detected, faces, detections, width, height };
}

function sizeOf(frame: Tensor | RgbImage): [number, number] {
  return "shape" in frame ? [frame.size(-1), frame.size(-2)] : [frame.width, frame.height];
}

async function* mapFrames(frames: AsyncIterable<{ image: RgbImage }>): AsyncGenerator<RgbImage> {
  for await (const frame of frames) yield frame.image;
}
