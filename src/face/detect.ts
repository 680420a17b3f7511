// Finding faces in a picture: face-api's tiny face detector gives the boxes, then its 68-point
// landmark net runs on each box's cut (as face-api's detectAllFaces().withFaceLandmarks() does),
// and the faces come back largest first, so index 0 is the one `--crop face` animates.
import * as torch from "../torch/index.js";
import type { Tensor } from "../torch/index.js";
import type { FaceApi } from "../faceapi/index.js";
import type { Box, FaceDetection } from "../faceapi/detections.js";
import type { RgbImage } from "../media/image.js";

/** One face: the detector's box and score, and 68 landmarks (x, y) in the picture's pixels. */
export interface Face {
  box: Box;
  score: number;
  /** (68, 2) flat: the iBUG 300-W points, x right, y down, in pixels of the whole picture. */
  landmarks: Float32Array;
}

export interface DetectFacesOptions {
  /** The detector's input square (a multiple of 32; default 416, face-api's). */
  inputSize?: number;
  /** Minimum detector score (default 0.5). */
  scoreThreshold?: number;
}

/** (3, H, W) or (1, 3, H, W) float in [0, 1], or planar RGB -> (1, 3, H, W) on `device` (a (1, 3, H, W) tensor is returned as is). */
export function imageBatch(image: Tensor | RgbImage, device: torch.Device = "cpu"): Tensor {
  if (image instanceof torch.Tensor) return image.ndim === 3 ? image.unsqueeze(0) : image;
  return torch.fromArray(image.data, [1, 3, image.height, image.width], { device });
}

/** Grey margin, in parts of the long side, for the detector's second look (see findBoxes). */
export const DETECT_MARGIN = 0.25;

/**
 * The detector's boxes on the picture; when it finds none, again with the picture set in a grey
 * margin. The tiny detector was made for faces in a scene: a face that fills its frame (a
 * VoxCeleb-style crop, FOMM's demo pictures) scores about 0.1 as is and above 0.9 in a margin
 * (docs/face-api.md), so a picture already framed like the training data is still found.
 */
function findBoxes(api: FaceApi, batch: Tensor, options: DetectFacesOptions): FaceDetection[] {
  const plain = api.detect(batch, options)[0];
  if (plain.length > 0) return plain;
  const pad = Math.round(DETECT_MARGIN * Math.max(batch.size(2), batch.size(3)));
  const framed = torch.F.pad(batch, [pad, pad, pad, pad], "constant", 0.5);
  return api.detect(framed, options)[0].map((b) => ({ ...b, x: b.x - pad, y: b.y - pad }));
}

/**
 * Every face in `image` ((3, H, W) in [0, 1], or planar RGB), largest box first (ties: higher
 * score). An empty array when there is none. Runs without autograd; frees what it makes.
 */
export function detectFaces(api: FaceApi, image: Tensor | RgbImage, options: DetectFacesOptions = {}): Face[] {
  return torch.tidy(() => {
    const batch = imageBatch(image, api.nets.detector.parameters()[0].device); // (1, 3, H, W)
    const [height, width] = [batch.size(2), batch.size(3)];
    const boxes = findBoxes(api, batch, options);
    const faces = boxes.map((found): Face => {
      // face-api cuts the box clamped to the picture, in whole pixels, and lands it there.
      const x0 = Math.max(0, Math.floor(found.x));
      const y0 = Math.max(0, Math.floor(found.y));
      const x1 = Math.min(width, Math.ceil(found.x + found.width));
      const y1 = Math.min(height, Math.ceil(found.y + found.height));
      const cut = batch.narrow(2, y0, Math.max(1, y1 - y0)).narrow(3, x0, Math.max(1, x1 - x0));
      const points = api.landmarks(cut).cpu().data<"float32">().slice(); // (68, 2) in the cut's pixels
      for (let i = 0; i < 68; i++) {
        points[2 * i] += x0;
        points[2 * i + 1] += y0;
      }
      return { box: { x: found.x, y: found.y, width: found.width, height: found.height }, score: found.score, landmarks: points };
    });
    return faces.sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height || b.score - a.score);
  });
}
