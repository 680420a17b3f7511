// H.264 in yuv420p needs even width and height: odd frames get one more column / row, copied from
// the edge (a repeated edge is invisible; a black line would not be).

/** The even size a frame of `width` x `height` is written at. */
export function evenSize(width: number, height: number): { width: number; height: number } {
  return { width: width + (width & 1), height: height + (height & 1) };
}

/** Copies interleaved rgb24 `pixels` (width x height) into `out` (even size), repeating the last column / row. */
export function padToEven(pixels: Uint8Array, width: number, height: number, out: Uint8Array): Uint8Array {
  const even = evenSize(width, height);
  const rowIn = width * 3;
  const rowOut = even.width * 3;
  for (let y = 0; y < even.height; y++) {
    const src = Math.min(y, height - 1) * rowIn;
    const dst = y * rowOut;
    out.set(pixels.subarray(src, src + rowIn), dst);
    if (even.width !== width) out.copyWithin(dst + rowIn, dst + rowIn - 3, dst + rowIn);
  }
  return out;
}
