// The square a face is animated in, from its 68 landmarks: centred on the eyes and mouth, sized
// by their spacing, and enlarged to frame the face as FOMM's VoxCeleb crops do (docs/animate.md,
// "Real footage"). Boxes are in pixels of the picture, continuous: a box covers
// [cx - side/2, cx + side/2) horizontally, pixel x covering [x, x + 1).

/** A square crop: its centre and side in pixels. */
export interface CropBox {
  cx: number;
  cy: number;
  side: number;
}

/**
 * The crop's side in units of the face's scale (eye-mouth and eye-eye spacing, below): 4.5,
 * measured on the two VoxCeleb-framed pictures in the shared data (FOMM's demo source, 4.48, and
 * LIA's vox Mona Lisa, 4.57), which are what FOMM's preprocessing makes of a face: face_alignment's
 * S3FD boxes joined over the whole clip and enlarged by 10% on each side (crop_vox.py's
 * increase_area 0.1), so the face fills about half the frame.
 */
export const CROP_SCALE = 4.5;
/** The crop's centre sits this many face scales above the eye-mouth centre (0.20 and 0.50 on the same two pictures: VoxCeleb frames show the forehead and hair). */
export const CROP_SHIFT_UP = 0.35;
/** A picture counts as already framed like the training data when the face's box covers at least this share of its side (and it is square within 10%). */
export const FRAMED_SHARE = 0.8;

const mean = (points: ArrayLike<number>, from: number, to: number): [number, number] => {
  let [x, y] = [0, 0];
  for (let i = from; i <= to; i++) {
    x += points[2 * i];
    y += points[2 * i + 1];
  }
  return [x / (to - from + 1), y / (to - from + 1)];
};

/**
 * The face's centre and scale from 68 landmarks ((68, 2) flat, pixels): the centre is halfway
 * between the eyes' midpoint and the mouth's centre; the scale is the mean of the eye-to-eye and
 * eyes-to-mouth distances. Eyes and mouth are the points the landmark net places most steadily
 * (the jaw line wanders on turned faces), and averaging the two distances keeps the scale steady
 * when the head turns (eye-eye shrinks) or nods (eyes-mouth shrinks).
 */
export function faceFrame(landmarks: ArrayLike<number>): { x: number; y: number; scale: number } {
  const left = mean(landmarks, 36, 41);
  const right = mean(landmarks, 42, 47);
  const mouth = mean(landmarks, 48, 67);
  const eyes = [(left[0] + right[0]) / 2, (left[1] + right[1]) / 2];
  const scale = (Math.hypot(left[0] - right[0], left[1] - right[1]) + Math.hypot(eyes[0] - mouth[0], eyes[1] - mouth[1])) / 2;
  return { x: (eyes[0] + mouth[0]) / 2, y: (eyes[1] + mouth[1]) / 2, scale };
}

/** The square crop for a face's landmarks ((68, 2) flat, pixels). `scale` and `shiftUp` default to CROP_SCALE and CROP_SHIFT_UP. */
export function faceCropBox(landmarks: ArrayLike<number>, options: { scale?: number; shiftUp?: number } = {}): CropBox {
  const face = faceFrame(landmarks);
  return { cx: face.x, cy: face.y - (options.shiftUp ?? CROP_SHIFT_UP) * face.scale, side: (options.scale ?? CROP_SCALE) * face.scale };
}

/** True when a picture of `width` x `height` is already framed like the training data around `box`: near-square and the box nearly as large as the picture. */
export function isFramed(box: CropBox, width: number, height: number): boolean {
  const short = Math.min(width, height);
  return Math.max(width, height) <= 1.1 * short && box.side >= FRAMED_SHARE * short;
}

/** The whole picture as a box (a square `crop: center` of it: the short side, centred). */
export function centerBox(width: number, height: number): CropBox {
  return { cx: width / 2, cy: height / 2, side: Math.min(width, height) };
}

/** The square covering a user's rectangle X,Y,W,H (pixels): its centre, side max(W, H). */
export function rectBox(x: number, y: number, width: number, height: number): CropBox {
  return { cx: x + width / 2, cy: y + height / 2, side: Math.max(width, height) };
}

/** The box as (left, top, right, bottom) pixels. */
export function boxEdges(box: CropBox): [number, number, number, number] {
  const h = box.side / 2;
  return [box.cx - h, box.cy - h, box.cx + h, box.cy + h];
}
