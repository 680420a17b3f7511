// The side-by-side view of real footage (`dime animate --visualize` with a crop): the source with
// its crop box, the driving frame with its box, the animated crop with the keypoints it was
// generated toward, and the pasted result, each fitted into a square panel.
import * as torch from "../torch/index.js";
import type { RgbImage } from "../media/image.js";
import type { Picture } from "../util/draw.js";
import { cropForModel } from "../face/crop.js";
import { boxEdges, type CropBox } from "../face/box.js";
import { sideBySide } from "./visualize.js";
import type { FootageFrame } from "./footage.js";

/** Panel side for a model frame of `size` px: at least 256, so a 64 px model's panels are readable. */
export function panelSide(size: number): number {
  return Math.max(256, size);
}

/** A picture fitted whole into a side x side panel (letterboxed on grey), and the mapping from its pixels to the panel's. */
function fitPanel(picture: RgbImage, side: number): { image: RgbImage; map: (x: number, y: number) => [number, number] } {
  const scale = side / Math.max(picture.width, picture.height);
  const box: CropBox = { cx: picture.width / 2, cy: picture.height / 2, side: Math.max(picture.width, picture.height) };
  const image = torch.tidy(() => {
    // The letterbox outside the picture: the crop repeats edges, so grey is painted over it below.
    const t = cropForModel(picture, box, { width: side, height: side });
    return { data: t.contiguous().data<"float32">().slice(), width: side, height: side };
  });
  const [w, h] = [picture.width * scale, picture.height * scale];
  const [ox, oy] = [(side - w) / 2, (side - h) / 2];
  const plane = side * side;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      if (x + 0.5 >= ox && x + 0.5 <= ox + w && y + 0.5 >= oy && y + 0.5 <= oy + h) continue;
      for (let c = 0; c < 3; c++) image.data[c * plane + y * side + x] = 0.25;
    }
  }
  return { image, map: (x, y) => [ox + x * scale, oy + y * scale] };
}

/** Draws a box's outline (2 px, yellow) on a planar picture, clipped to it. */
function outline(image: RgbImage, corners: [number, number, number, number]): void {
  const [x0, y0, x1, y1] = corners.map(Math.round);
  const plane = image.width * image.height;
  const put = (x: number, y: number) => {
    if (x < 0 || y < 0 || x >= image.width || y >= image.height) return;
    const i = y * image.width + x;
    image.data[i] = 1;
    image.data[plane + i] = 0.85;
    image.data[2 * plane + i] = 0;
  };
  for (let t = 0; t < 2; t++) {
    for (let x = x0; x <= x1; x++) [put(x, y0 + t), put(x, y1 - t)];
    for (let y = y0; y <= y1; y++) [put(x0 + t, y), put(x1 - t, y)];
  }
}

function withBox(picture: RgbImage, box: CropBox | undefined, side: number): RgbImage {
  const { image, map } = fitPanel(picture, side);
  if (box) {
    const [l, t, r, b] = boxEdges(box);
    outline(image, [...map(l, t), ...map(r, b)] as [number, number, number, number]);
  }
  return image;
}

// The source panel is the same on every frame of a job: made once per source picture.
const sourcePanels = new WeakMap<RgbImage, RgbImage>();

/** The four panels of a footage frame, left to right, as one rgb24 picture. */
export function footagePanels(frame: FootageFrame): Picture {
  const side = panelSide(Math.max(frame.image.width, frame.image.height));
  let source = sourcePanels.get(frame.sourcePicture);
  if (!source || source.width !== side) {
    source = withBox(frame.sourcePicture, frame.sourceCrop.box, side);
    sourcePanels.set(frame.sourcePicture, source);
  }
  const driving = frame.drivingPicture ? withBox(frame.drivingPicture, frame.drivingBox, side) : fitPanel(frame.driving, side).image;
  const crop = fitPanel(frame.image, side).image;
  const result = fitPanel(frame.output, side).image;
  return sideBySide([{ image: source }, { image: driving }, { image: crop, keypoints: frame.kpTarget }, { image: result }]);
}
