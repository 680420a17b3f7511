// Training samples: a picture every N steps showing what the model does with the current batch.
// One row per item (the first few of the batch), columns in this order (docs/training.md):
//   source | reference 1..N | driving | output | source + keypoints | driving + keypoints |
//   then per view (the source, then each reference): coarse flow | refined flow | confidence
//   then, with adversarial training, the discriminator's patch scores of the driving frame and of
//   the output (grey, clamped to [0, 1]: white = judged real, black = judged generated)
// Flows are HSV-coloured displacements (flow-colour.ts) on one scale per row, so coarse and
// refined compare; confidence is grey (white = trusted). Keypoints are dots, one colour each.
import * as torch from "../torch/index.js";
import type { Tensor } from "../torch/index.js";
import type { TrainingBatch } from "../dime/objective.js";
import type { DimeOutput } from "../dime/dime.js";
import { encodeRgb24, writeEncoded } from "../media/image-write.js";
import { imageToRgb24 } from "../media/image.js";
import { dot, type Picture } from "../util/draw.js";
import { hsv } from "../util/colour.js";
import { colourFlow, gridDisplacement, largestMagnitude } from "./flow-colour.js";

/** The arrays a sample picture is drawn from (copied out of the step's tensors). */
export interface SampleData {
  rows: number;
  height: number;
  width: number;
  /** N references per item and V = 1 + N views. */
  refs: number;
  numKp: number;
  /** The motion resolution of flows and confidences. */
  motionHeight: number;
  motionWidth: number;
  /** (rows, 3, H, W) each, in [0, 1]. */
  source: Float32Array;
  driving: Float32Array;
  prediction: Float32Array;
  /** (rows, N, 3, H, W) */
  references: Float32Array;
  /** (rows, K, 2) in [-1, 1]. */
  kpSource: Float32Array;
  kpDriving: Float32Array;
  /** (rows, V, h, w, 2) sampling grids. */
  coarseFlow: Float32Array;
  refinedFlow: Float32Array;
  /** (rows, V, h, w) in [0, 1], when the model estimates confidence. */
  confidence?: Float32Array;
  /** With adversarial training: the discriminator's first-scale scores (rows, dh, dw) of the driving frame and the output. */
  discriminator?: { height: number; width: number; real: Float32Array; generated: Float32Array };
}

/** At most this many items of a batch are drawn. */
export const SAMPLE_ROWS = 4;

/** Copies what a sample needs from a step's batch and output (first `rows` items). */
export function sampleData(
  batch: TrainingBatch,
  output: DimeOutput,
  rows = SAMPLE_ROWS,
  /** The discriminator's scores (B, 1, dh, dw) of the driving frame and the output. */
  discriminator?: { real: Tensor; generated: Tensor },
): SampleData {
  return torch.tidy(() => {
    const n = Math.min(rows, batch.source.size(0));
    const take = (t: Tensor) => t.narrow(0, 0, n).detach().float().contiguous().data() as Float32Array;
    const refs = batch.references.length;
    const [, , motionHeight, motionWidth] = output.coarseFlow.shape; // (B, V, h, w, 2)
    return {
      rows: n,
      height: batch.source.size(2),
      width: batch.source.size(3),
      refs,
      numKp: output.kpSource.value.size(1),
      motionHeight,
      motionWidth,
      source: take(batch.source),
      driving: take(batch.driving),
      prediction: take(output.prediction),
      references: refs === 0 ? new Float32Array(0) : take(torch.stack([...batch.references], 1)), // (B, N, 3, H, W)
      kpSource: take(output.kpSource.value),
      kpDriving: take(output.kpDriving.value),
      coarseFlow: take(output.coarseFlow),
      refinedFlow: take(output.refinedFlow),
      ...(output.confidence ? { confidence: take(output.confidence) } : {}),
      ...(discriminator
        ? {
            discriminator: {
              height: discriminator.real.size(2),
              width: discriminator.real.size(3),
              real: take(discriminator.real),
              generated: take(discriminator.generated),
            },
          }
        : {}),
    };
  });
}

const GAP = 2;
const BACKGROUND = 32;
/** Cells are scaled up (nearest) to at least this many pixels a side. */
const MIN_CELL = 128;

/** A cell's content before scaling: interleaved RGB of its own size. */
interface Cell {
  rgb: Uint8Array;
  width: number;
  height: number;
  /** Keypoints in [-1, 1] (x, y pairs) to draw on the scaled cell. */
  keypoints?: Float32Array;
}

/** The sample picture (see the header for the column order). */
export function sampleSheet(data: SampleData): Picture {
  const { height: H, width: W, refs, numKp, motionHeight: h, motionWidth: w } = data;
  const k = Math.max(1, Math.ceil(MIN_CELL / Math.max(H, W)));
  const [cw, ch] = [W * k, H * k];
  const frame = 3 * H * W;
  const views = 1 + refs;
  const image = (array: Float32Array, index: number): Cell => ({
    rgb: imageToRgb24({ data: array.subarray(index * frame, (index + 1) * frame), width: W, height: H }),
    width: W,
    height: H,
  });
  const rows: Cell[][] = [];
  for (let r = 0; r < data.rows; r++) {
    const keypoints = (array: Float32Array) => array.subarray(r * numKp * 2, (r + 1) * numKp * 2);
    const row: Cell[] = [image(data.source, r)];
    for (let v = 0; v < refs; v++) row.push(image(data.references, r * refs + v));
    row.push(image(data.driving, r), image(data.prediction, r));
    row.push(
      { ...image(data.source, r), keypoints: keypoints(data.kpSource) },
      { ...image(data.driving, r), keypoints: keypoints(data.kpDriving) },
    );
    const field = h * w * 2;
    const displacement = (flow: Float32Array, v: number) =>
      gridDisplacement(flow.subarray((r * views + v) * field, (r * views + v + 1) * field), h, w);
    const coarse = Array.from({ length: views }, (_, v) => displacement(data.coarseFlow, v));
    const refined = Array.from({ length: views }, (_, v) => displacement(data.refinedFlow, v));
    const scale = Math.max(...coarse.map(largestMagnitude), ...refined.map(largestMagnitude));
    for (let v = 0; v < views; v++) {
      row.push({ rgb: colourFlow(coarse[v], scale), width: w, height: h }, { rgb: colourFlow(refined[v], scale), width: w, height: h });
      if (data.confidence)
        row.push({ rgb: greyToRgb(data.confidence.subarray((r * views + v) * h * w, (r * views + v + 1) * h * w)), width: w, height: h });
    }
    const disc = data.discriminator;
    if (disc) {
      const size = disc.height * disc.width;
      for (const scores of [disc.real, disc.generated])
        row.push({ rgb: greyToRgb(scores.subarray(r * size, (r + 1) * size)), width: disc.width, height: disc.height });
    }
    rows.push(row);
  }
  const cols = rows[0].length;
  const pic: Picture = { width: cols * cw + (cols + 1) * GAP, height: rows.length * ch + (rows.length + 1) * GAP, rgb: new Uint8Array(0) };
  pic.rgb = new Uint8Array(pic.width * pic.height * 3).fill(BACKGROUND);
  const colours = Array.from({ length: numKp }, (_, i) => hsv(i / numKp, 0.85, 1).map((c) => Math.round(c * 255)));
  const radius = Math.max(2, Math.round(cw / 45));
  rows.forEach((row, r) =>
    row.forEach((cell, c) => {
      const [x0, y0] = [GAP + c * (cw + GAP), GAP + r * (ch + GAP)];
      blit(pic, cell, x0, y0, cw, ch);
      if (!cell.keypoints) return;
      for (let i = 0; i < numKp; i++) {
        // [-1, 1] (align_corners) to the centre of the scaled pixel.
        const px = x0 + (((cell.keypoints[2 * i] + 1) * (W - 1)) / 2 + 0.5) * k - 0.5;
        const py = y0 + (((cell.keypoints[2 * i + 1] + 1) * (H - 1)) / 2 + 0.5) * k - 0.5;
        dot(pic, px, py, radius, colours[i]);
      }
    }),
  );
  return pic;
}

/** Draws the sample picture of `data` as a PNG at `path` (atomically). */
export async function writeSample(path: string, data: SampleData): Promise<void> {
  const pic = sampleSheet(data);
  await writeEncoded(path, await encodeRgb24(pic.rgb, pic.width, pic.height, "png"));
}

/** Copies `cell` into `pic` at (x0, y0), scaled (nearest) to cw x ch. */
function blit(pic: Picture, cell: Cell, x0: number, y0: number, cw: number, ch: number): void {
  for (let y = 0; y < ch; y++) {
    const sy = Math.floor((y * cell.height) / ch);
    for (let x = 0; x < cw; x++) {
      const src = (sy * cell.width + Math.floor((x * cell.width) / cw)) * 3;
      const dst = ((y0 + y) * pic.width + x0 + x) * 3;
      pic.rgb[dst] = cell.rgb[src];
      pic.rgb[dst + 1] = cell.rgb[src + 1];
      pic.rgb[dst + 2] = cell.rgb[src + 2];
    }
  }
}

/** (h, w) floats in [0, 1] -> grey interleaved 8-bit RGB. */
function greyToRgb(values: Float32Array): Uint8Array {
  const rgb = new Uint8Array(values.length * 3);
  for (let p = 0; p < values.length; p++) rgb.fill(toByte(values[p]), 3 * p, 3 * p + 3);
  return rgb;
}

function toByte(x: number): number {
  return Math.round(Math.min(1, Math.max(0, x)) * 255);
}
