// Marks drawn on rgb24 pictures for contact sheets: filled dots and rings.

export interface Picture {
  rgb: Uint8Array;
  width: number;
  height: number;
}

/** A filled disc of `radius` pixels with a one-pixel dark outline, centred at (cx, cy). */
export function dot(pic: Picture, cx: number, cy: number, radius: number, colour: readonly number[]): void {
  paint(pic, cx, cy, radius + 1, (d) => (d <= radius ? colour : d <= radius + 1 ? [0, 0, 0] : undefined));
}

/** A ring (outline only) of `radius` pixels, centred at (cx, cy). */
export function ring(pic: Picture, cx: number, cy: number, radius: number, colour: readonly number[]): void {
  paint(pic, cx, cy, radius + 0.8, (d) => (Math.abs(d - radius) <= 0.8 ? colour : undefined));
}

function paint(pic: Picture, cx: number, cy: number, extent: number, colourAt: (distance: number) => readonly number[] | undefined): void {
  for (let y = Math.floor(cy - extent); y <= Math.ceil(cy + extent); y++) {
    if (y < 0 || y >= pic.height) continue;
    for (let x = Math.floor(cx - extent); x <= Math.ceil(cx + extent); x++) {
      if (x < 0 || x >= pic.width) continue;
      const c = colourAt(Math.hypot(x - cx, y - cy));
      if (!c) continue;
      const o = (y * pic.width + x) * 3;
      pic.rgb[o] = c[0];
      pic.rgb[o + 1] = c[1];
      pic.rgb[o + 2] = c[2];
    }
  }
}
