// What a synthetic frame is made of: primitives that can be ray-cast (depth at a point, then colour),
// a background, and landmarks (3D points that belong to some primitive). Coordinates follow dime's
// convention: x right, y down, both in [-1, 1] across the frame; z grows toward the viewer.

/** Feature codes written to the renderer's feature buffer (what kind of surface a pixel shows). */
export const Feature = {
  background: 0,
  skin: 1,
  hair: 2,
  eye: 3,
  brow: 4,
  mouth: 5,
  nose: 6,
  ear: 7,
  accessory: 8,
  cloth: 9,
  blob: 10,
  limb: 11,
} as const;

export type FeatureCode = (typeof Feature)[keyof typeof Feature];

/** A surface the renderer can ray-cast with an orthographic camera looking down -z. */
export interface Primitive {
  /** Which object this is; landmark visibility asks whether the first surface hit is the landmark's own part. */
  readonly part: number;
  /** World-space box [x0, y0, x1, y1] outside which `depth` is -Infinity. */
  readonly bounds: readonly [number, number, number, number];
  /** z of the front-most surface of this primitive on the ray through (x, y), or -Infinity if it misses. */
  depth(x: number, y: number): number;
  /** Colour at (x, y) into `out[0..2]` (RGB in [0, 1]); returns the feature code. Called only where `depth` hit. */
  shade(x: number, y: number, out: Float64Array): number;
}

/** A named ground-truth point: where it is in 3D and which parts count as its own surface. */
export interface Landmark {
  name: string;
  x: number;
  y: number;
  z: number;
  /** The parts whose surface the point lies on: it is visible when the first surface hit at (x, y) is one of them at depth z. */
  parts: readonly number[];
  /** The feature the point marks (tests check the rendered pixel shows it). */
  feature: number;
}

export interface Scene {
  /** Colour of the background at (x, y) into `out[0..2]`. */
  background(x: number, y: number, out: Float64Array): void;
  primitives: Primitive[];
  landmarks: Landmark[];
  /** The pose parameters that made this frame (written to meta.json). */
  pose: Record<string, number>;
}
