// Resampling along one axis as a matrix, so a crop, its padding and its anti-aliased resize are
// one (out, in) matrix per axis, applied to a picture with two matmuls (as face-api's input path
// does in faceapi/preprocess.ts). The filter is the triangle (bilinear) kernel, widened by the
// step when shrinking, which is what PIL's and torch's antialiased bilinear resizes do: every
// input pixel under an output pixel counts, so a 1280 px face shrunk to 64 px does not alias.

/**
 * (out, length) matrix, rows summing to 1: output pixel i reads the input axis (pixel centres at
 * 0 .. length-1) around position first + i * step. Taps past either end read the end pixel (the
 * picture's border is repeated: a crop reaching past the picture is padded, not shrunk).
 * `offset` is where the axis starts in the picture; `length` covers the pixels the taps reach.
 */
export function resampleMatrix(out: number, length: number, first: number, step: number, offset = 0): Float32Array {
  const m = new Float32Array(out * length);
  const support = Math.max(1, step); // half-width of the triangle, in input pixels
  for (let i = 0; i < out; i++) {
    const p = first + i * step - offset;
    const lo = Math.ceil(p - support);
    const hi = Math.floor(p + support);
    let total = 0;
    for (let j = lo; j <= hi; j++) {
      const w = 1 - Math.abs(j - p) / support;
      if (w <= 0) continue;
      m[i * length + Math.min(length - 1, Math.max(0, j))] += w;
      total += w;
    }
    for (let j = 0; j < length; j++) m[i * length + j] /= total;
  }
  return m;
}

/** The input pixels [start, end) that `out` taps starting at `first` with `step` reach, clamped to [0, size). */
export function tapRange(out: number, first: number, step: number, size: number): [number, number] {
  const support = Math.max(1, step);
  const start = Math.max(0, Math.min(size - 1, Math.floor(first - support)));
  const end = Math.min(size, Math.max(start + 1, Math.ceil(first + (out - 1) * step + support) + 1));
  return [start, end];
}
