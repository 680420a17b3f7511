// A textured blob: a star-shaped region whose radius varies with angle (and time), domed in depth.
// The texture lives in the blob's own (normalised radius, angle) coordinates, so it stretches and
// turns with the outline: a non-rigid deformation with known correspondences.
import { lambert } from "./lighting.js";
import type { Primitive } from "./scene.js";

/** Outline radius at a body angle. */
export type Outline = (angle: number) => number;
/** Paints the blob at normalised radius `rho` in [0, 1) and body angle `angle`; returns the feature code. */
export type BlobSurface = (rho: number, angle: number, light: number, out: Float64Array) => number;

export class Blob implements Primitive {
  readonly bounds: readonly [number, number, number, number];

  /**
   * `spin` turns the body frame; `squash` stretches x by (1 + squash) and y by 1 / (1 + squash);
   * `maxRadius` bounds the outline; `z` is the depth of the blob's rim plane, `dome` its bulge.
   */
  constructor(
    readonly part: number,
    readonly cx: number,
    readonly cy: number,
    readonly z: number,
    private readonly outline: Outline,
    maxRadius: number,
    private readonly spin: number,
    private readonly squash: number,
    private readonly dome: number,
    private readonly surface: BlobSurface,
  ) {
    const r = maxRadius * (1 + Math.abs(squash));
    this.bounds = [cx - r, cy - r, cx + r, cy + r];
  }

  /** (normalised radius, body angle) of an image point; rho >= 1 is outside. */
  private local(x: number, y: number): { rho: number; angle: number } {
    const k = 1 + this.squash;
    const dx = (x - this.cx) / k;
    const dy = (y - this.cy) * k;
    const angle = Math.atan2(dy, dx) - this.spin;
    return { rho: Math.hypot(dx, dy) / this.outline(angle), angle };
  }

  depth(x: number, y: number): number {
    const { rho } = this.local(x, y);
    return rho >= 1 ? -Infinity : this.z + this.dome * Math.sqrt(1 - rho * rho);
  }

  shade(x: number, y: number, out: Float64Array): number {
    const { rho, angle } = this.local(x, y);
    const h = Math.sqrt(Math.max(0, 1 - rho * rho));
    const a = angle + this.spin;
    return this.surface(rho, angle, lambert(rho * Math.cos(a) * 0.7, rho * Math.sin(a) * 0.7, h), out);
  }

  /** The image point at normalised radius `rho` and body angle `angle`. */
  pointAt(rho: number, angle: number): [number, number] {
    const r = rho * this.outline(angle);
    const k = 1 + this.squash;
    const a = angle + this.spin;
    return [this.cx + r * Math.cos(a) * k, this.cy + (r * Math.sin(a)) / k];
  }
}
