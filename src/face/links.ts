// Face tracks for cutting training sets (dime crop), as FOMM's preprocessing links detections: a
// detection continues the open track whose last box it overlaps most (IoU at least `minOverlap`),
// a track left without a detection for more than `maxGap` frames is closed, and tracks shorter
// than `minFrames` are dropped. Each kept track becomes one clip with one fixed box.
import { iou, type Box } from "../faceapi/detections.js";
import { faceCropBox, type CropBox } from "./box.js";
import type { Face } from "./detect.js";
import { fillBoxes, fixedBox } from "./track.js";

export interface LinkOptions {
  /** Least IoU with a track's last box for a detection to continue it (default 0.25, FOMM's iou_with_initial). */
  minOverlap?: number;
  /** Most frames in a row a track may go without a detection (default 5). */
  maxGap?: number;
  /** Least frames (first to last detection) for a track to be kept (default 16, FOMM's min_frames). */
  minFrames?: number;
  /** Least crop side in pixels for a track to be kept (default 0: any size). */
  minSize?: number;
}

export interface LinkedTrack {
  /** First and last frame (inclusive) with a detection. */
  start: number;
  end: number;
  /** Per frame of [start, end], the crop box from that frame's landmarks (undefined: no detection there). */
  detected: (CropBox | undefined)[];
  /** The one box the clip is cut with (track.ts's fixedBox over the track's filled boxes). */
  box: CropBox;
  /** Why the track was dropped, or undefined when kept. */
  dropped?: "short" | "small";
}

interface OpenTrack {
  start: number;
  last: number;
  lastBox: Box;
  detected: (CropBox | undefined)[];
}

/** Links per-frame detections (undefined: detection did not run on that frame) into tracks, in order of their first frame, then their last. */
export function linkTracks(perFrame: readonly (readonly Face[] | undefined)[], options: LinkOptions = {}): LinkedTrack[] {
  const minOverlap = options.minOverlap ?? 0.25;
  const maxGap = options.maxGap ?? 5;
  const open: OpenTrack[] = [];
  const closed: OpenTrack[] = [];
  perFrame.forEach((faces, frame) => {
    for (let i = open.length - 1; i >= 0; i--) if (frame - open[i].last > maxGap + 1) closed.push(...open.splice(i, 1));
    if (!faces) return;
    const taken = new Set<OpenTrack>();
    for (const face of faces) {
      let best: OpenTrack | undefined;
      let bestOverlap = minOverlap;
      for (const track of open) {
        const overlap = taken.has(track) ? 0 : iou(face.box, track.lastBox);
        if (overlap >= bestOverlap) [best, bestOverlap] = [track, overlap];
      }
      const box = faceCropBox(face.landmarks);
      if (best) {
        best.detected[frame - best.start] = box;
        [best.last, best.lastBox] = [frame, face.box];
        taken.add(best);
      } else {
        const track: OpenTrack = { start: frame, last: frame, lastBox: face.box, detected: [box] };
        open.push(track);
        taken.add(track);
      }
    }
  });
  return [...closed, ...open]
    .sort((a, b) => a.start - b.start || a.last - b.last)
    .map((t) => {
      const detected = Array.from({ length: t.last - t.start + 1 }, (_, i) => t.detected[i]);
      const box = fixedBox(fillBoxes(detected));
      const dropped = detected.length < (options.minFrames ?? 16) ? "short" : box.side < (options.minSize ?? 0) ? "small" : undefined;
      return { start: t.start, end: t.last, detected, box, ...(dropped ? { dropped } : {}) };
    });
}
