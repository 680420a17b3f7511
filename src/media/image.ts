// The in-memory picture every reader returns: planar RGB float32 in [0, 1].

/** An RGB picture, planar (CHW): `data[c * height * width + y * width + x]`, values in [0, 1]. */
export interface RgbImage {
  /** (3, height, width), channel-major. */
  data: Float32Array;
  width: number;
  height: number;
}

/** A background colour as RGB in [0, 1], used to flatten alpha and to pad. */
export type Rgb = readonly [number, number, number];

/** Interleaved 8-bit RGB (HWC, `rgb24`) -> planar float RGB in [0, 1]. */
export function rgb24ToImage(pixels: Uint8Array, width: number, height: number): RgbImage {
  const plane = width * height;
  if (pixels.length < plane * 3) throw new RangeError(`rgb24 buffer holds ${pixels.length} bytes, need ${plane * 3}`);
  const data = new Float32Array(plane * 3);
  for (let i = 0, j = 0; i < plane; i++, j += 3) {
    data[i] = pixels[j] / 255;
    data[plane + i] = pixels[j + 1] / 255;
    data[2 * plane + i] = pixels[j + 2] / 255;
  }
  return { data, width, height };
}

/** Planar float RGB -> interleaved 8-bit RGB (HWC), rounding and clamping to [0, 255]. */
export function imageToRgb24(image: RgbImage): Uint8Array {
  const { data, width, height } = image;
  const plane = width * height;
  const out = new Uint8Array(plane * 3);
  for (let i = 0, j = 0; i < plane; i++, j += 3) {
    out[j] = toByte(data[i]);
    out[j + 1] = toByte(data[plane + i]);
    out[j + 2] = toByte(data[2 * plane + i]);
  }
  return out;
}

function toByte(v: number): number {
  // NaN becomes 0 (the comparison fails), out-of-range values clamp.
  return v > 0 ? (v < 1 ? Math.round(v * 255) : 255) : 0;
}

/** Interleaved 8-bit RGBA (HWC) composited onto `background` -> planar float RGB in [0, 1]. */
export function rgba32ToImage(pixels: Uint8Array, width: number, height: number, background: Rgb): RgbImage {
  const plane = width * height;
  if (pixels.length < plane * 4) throw new RangeError(`rgba buffer holds ${pixels.length} bytes, need ${plane * 4}`);
  const data = new Float32Array(plane * 3);
  for (let i = 0, j = 0; i < plane; i++, j += 4) {
    const a = pixels[j + 3] / 255;
    data[i] = (pixels[j] / 255) * a + background[0] * (1 - a);
    data[plane + i] = (pixels[j + 1] / 255) * a + background[1] * (1 - a);
    data[2 * plane + i] = (pixels[j + 2] / 255) * a + background[2] * (1 - a);
  }
  return { data, width, height };
}
