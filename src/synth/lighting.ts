// One directional light from the upper left, in front: shading that makes the pseudo-3D read as 3D.

const L = (() => {
  const v = [-0.45, -0.55, 0.7];
  const n = Math.hypot(v[0], v[1], v[2]);
  return [v[0] / n, v[1] / n, v[2] / n];
})();

/** Ambient plus Lambert for a world-space unit normal (z toward the viewer): a factor in [0.35, 1]. */
export function lambert(nx: number, ny: number, nz: number): number {
  return 0.35 + 0.65 * Math.max(0, nx * L[0] + ny * L[1] + nz * L[2]);
}
