// A contact sheet: a grid of frames (one row per video) with the landmarks drawn, visible ones as
// green dots and hidden ones as red rings, so a person can check the ground truth at a glance.
import { dot, ring, type Picture } from "../util/draw.js";

/** One cell: a frame and its landmarks in [-1, 1] coordinates with visibility. */
export interface SheetCell {
  rgb: Uint8Array;
  width: number;
  height: number;
  landmarks: ReadonlyArray<{ x: number; y: number; visible: boolean }>;
}

const GAP = 2;
const VISIBLE = [40, 230, 60];
const HIDDEN = [240, 40, 40];

/** Lays `rows` of cells out as one picture, each frame scaled up (nearest) to at least `minCell` pixels. */
export function contactSheet(rows: SheetCell[][], minCell = 128): Picture {
  const first = rows[0][0];
  const k = Math.max(1, Math.ceil(minCell / Math.max(first.width, first.height)));
  const cw = first.width * k;
  const ch = first.height * k;
  const cols = Math.max(...rows.map((r) => r.length));
  const width = cols * cw + (cols + 1) * GAP;
  const height = rows.length * ch + (rows.length + 1) * GAP;
  const pic: Picture = { rgb: new Uint8Array(width * height * 3).fill(32), width, height };
  rows.forEach((row, r) => {
    row.forEach((cell, c) => {
      const x0 = GAP + c * (cw + GAP);
      const y0 = GAP + r * (ch + GAP);
      for (let y = 0; y < ch; y++) {
        for (let x = 0; x < cw; x++) {
          const src = (Math.floor(y / k) * cell.width + Math.floor(x / k)) * 3;
          const dst = ((y0 + y) * width + x0 + x) * 3;
          pic.rgb[dst] = cell.rgb[src];
          pic.rgb[dst + 1] = cell.rgb[src + 1];
          pic.rgb[dst + 2] = cell.rgb[src + 2];
        }
      }
      const radius = Math.max(2, Math.round(cw / 60));
      for (const lm of cell.landmarks) {
        // Landmark pixel centre in the cell (align_corners convention), then scaled.
        const px = x0 + (((lm.x + 1) * (cell.width - 1)) / 2 + 0.5) * k - 0.5;
        const py = y0 + (((lm.y + 1) * (cell.height - 1)) / 2 + 0.5) * k - 0.5;
        if (lm.visible) dot(pic, px, py, radius, VISIBLE);
        else ring(pic, px, py, radius + 1, HIDDEN);
      }
    });
  });
  return pic;
}
