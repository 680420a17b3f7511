// Turning the tiny face detector's YOLO grid into face boxes, as face-api's TinyYolov2 does: per
// cell and anchor, score = sigmoid(t_o), centre = (cell + sigmoid(t_x, t_y)) / cells, size =
// exp(t_w, t_h) * anchor / cells; boxes over the score threshold, then greedy non-maximum
// suppression by IoU.

/** A box in pixels of the image (x right, y down; (x, y) is the top-left corner). */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One face: its box in the image's pixels and the detector's confidence in (0, 1). */
export interface FaceDetection extends Box {
  score: number;
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

export interface GridDecodeOptions {
  /** Anchor (width, height) in cells, one per box the grid predicts per cell. */
  anchors: readonly (readonly [number, number])[];
  /** Keep boxes whose score is above this. */
  scoreThreshold: number;
  /** Side of the square input the net saw (the image was padded bottom/right to a square first). */
  inputSize: number;
  /** The image's size in pixels. */
  width: number;
  height: number;
}

/**
 * grid: the net's output for one image, (anchors * 5, cells, cells) flattened channel-major, each
 * anchor's channels being t_x, t_y, t_w, t_h, t_o -> boxes over the threshold, in image pixels,
 * before suppression.
 */
export function decodeGrid(grid: ArrayLike<number>, cells: number, options: GridDecodeOptions): FaceDetection[] {
  const { anchors, scoreThreshold, inputSize, width, height } = options;
  // face-api maps the square's [0, 1] to the image through the image's size in the resized
  // square, rounded to whole pixels, then scales by the image size.
  const scale = inputSize / Math.max(width, height);
  const toImageX = (inputSize / Math.round(width * scale)) * width;
  const toImageY = (inputSize / Math.round(height * scale)) * height;
  const at = (channel: number, row: number, col: number) => grid[(channel * cells + row) * cells + col];
  const found: FaceDetection[] = [];
  for (let row = 0; row < cells; row++) {
    for (let col = 0; col < cells; col++) {
      anchors.forEach(([anchorW, anchorH], a) => {
        const score = sigmoid(at(5 * a + 4, row, col));
        if (!(score > scoreThreshold)) return;
        const cx = (col + sigmoid(at(5 * a, row, col))) / cells;
        const cy = (row + sigmoid(at(5 * a + 1, row, col))) / cells;
        const w = (Math.exp(at(5 * a + 2, row, col)) * anchorW) / cells;
        const h = (Math.exp(at(5 * a + 3, row, col)) * anchorH) / cells;
        found.push({ x: (cx - w / 2) * toImageX, y: (cy - h / 2) * toImageY, width: w * toImageX, height: h * toImageY, score });
      });
    }
  }
  return found;
}

/** Intersection over union of two boxes (0 when either is empty). */
export function iou(a: Box, b: Box): number {
  const w = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const h = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = w * h;
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Greedy non-maximum suppression: the best-scoring box is kept and every remaining box overlapping
 * it by IoU above `iouThreshold` is dropped, repeatedly. Returns the kept boxes, best first.
 */
export function nonMaxSuppression<T extends FaceDetection>(boxes: readonly T[], iouThreshold: number): T[] {
  let remaining = [...boxes].sort((a, b) => b.score - a.score);
  const kept: T[] = [];
  while (remaining.length > 0) {
    const best = remaining[0];
    kept.push(best);
    remaining = remaining.slice(1).filter((box) => iou(best, box) <= iouThreshold);
  }
  return kept;
}
