// The synthetic renderer: per pixel, cast a ray through every primitive, keep the nearest (a depth
// test), shade it. Five samples per pixel smooth the edges; the depth, part and feature buffers
// come from the pixel-centre sample. Landmark visibility uses the same ray cast at the landmark's
// exact position, so it agrees with the picture by construction.
import type { Scene } from "./scene.js";
import { Feature } from "./scene.js";

/** A rendered frame: interleaved 8-bit RGB plus the buffers of the centre sample. */
export interface RenderedFrame {
  width: number;
  height: number;
  /** (H, W, 3) rgb24. */
  rgb: Uint8Array;
  /** (H, W) z of the nearest surface, -Infinity on the background. */
  depth: Float32Array;
  /** (H, W) part of the nearest primitive, -1 on the background. */
  part: Int16Array;
  /** (H, W) feature code (see `Feature`). */
  feature: Uint8Array;
}

// Centre first: it fills the buffers. The others sit on a rotated grid inside the pixel.
const SAMPLES: ReadonlyArray<readonly [number, number]> = [
  [0, 0],
  [-0.3, -0.1],
  [0.1, -0.3],
  [0.3, 0.1],
  [-0.1, 0.3],
];

/** Pixel index -> world coordinate (align_corners convention: pixel 0 at -1, pixel n-1 at +1). */
export function pixelToWorld(i: number, n: number): number {
  return n === 1 ? 0 : -1 + (2 * i) / (n - 1);
}

/** World coordinate -> fractional pixel index. */
export function worldToPixel(v: number, n: number): number {
  return ((v + 1) * (n - 1)) / 2;
}

/** The nearest primitive on the ray through (x, y): its index and z, or index -1 when none. */
export function firstHit(scene: Scene, x: number, y: number): { index: number; z: number } {
  let best = -Infinity;
  let index = -1;
  const prims = scene.primitives;
  for (let p = 0; p < prims.length; p++) {
    const b = prims[p].bounds;
    if (x < b[0] || x > b[2] || y < b[1] || y > b[3]) continue;
    const z = prims[p].depth(x, y);
    if (z > best) {
      best = z;
      index = p;
    }
  }
  return { index, z: best };
}

/** Relative depth tolerance of the visibility test (float rounding of the same surface). */
const DEPTH_EPS = 1e-6;

/** For each landmark: is it the first surface the camera ray meets? */
export function landmarkVisibility(scene: Scene): boolean[] {
  return scene.landmarks.map((lm) => {
    const hit = firstHit(scene, lm.x, lm.y);
    if (hit.index < 0) return false;
    return lm.parts.includes(scene.primitives[hit.index].part) && Math.abs(hit.z - lm.z) <= DEPTH_EPS;
  });
}

/** Renders `scene` at width x height with `samples` (1 or 5) rays per pixel. */
export function renderScene(scene: Scene, width: number, height: number, samples: 1 | 5 = 5): RenderedFrame {
  const plane = width * height;
  const rgb = new Uint8Array(plane * 3);
  const depth = new Float32Array(plane);
  const part = new Int16Array(plane);
  const feature = new Uint8Array(plane);
  const colour = new Float64Array(3);
  const sx = width > 1 ? 2 / (width - 1) : 0;
  const sy = height > 1 ? 2 / (height - 1) : 0;
  const used = SAMPLES.slice(0, samples);
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) {
      let r = 0,
        g = 0,
        b = 0;
      const o = j * width + i;
      for (let s = 0; s < used.length; s++) {
        const x = pixelToWorld(i, width) + used[s][0] * sx;
        const y = pixelToWorld(j, height) + used[s][1] * sy;
        const hit = firstHit(scene, x, y);
        let code: number = Feature.background;
        if (hit.index < 0) scene.background(x, y, colour);
        else code = scene.primitives[hit.index].shade(x, y, colour);
        r += colour[0];
        g += colour[1];
        b += colour[2];
        if (s === 0) {
          depth[o] = hit.z;
          part[o] = hit.index < 0 ? -1 : scene.primitives[hit.index].part;
          feature[o] = code;
        }
      }
      const n = used.length;
      rgb[o * 3] = toByte(r / n);
      rgb[o * 3 + 1] = toByte(g / n);
      rgb[o * 3 + 2] = toByte(b / n);
    }
  }
  return { width, height, rgb, depth, part, feature };
}

function toByte(v: number): number {
  return v > 0 ? (v < 1 ? Math.round(v * 255) : 255) : 0;
}
