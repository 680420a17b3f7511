// A textured capsule (a limb): the set of points within `radius` of segment a-b. The ray cast is
// "2.5D": the closest point of the segment is found in the image plane and the depth is the axis
// depth there plus the round cross-section; exact for limbs parallel to the image, close otherwise,
// and the landmarks use the same function, so visibility and picture always agree.
import { lambert } from "./lighting.js";
import type { Vec3 } from "./rotation.js";
import type { Primitive } from "./scene.js";

/**
 * Paints the surface: `t` in [0, 1] along the axis from a to b, `side` in [-1, 1] across it
 * (signed, in the image), `light` the shading factor; returns the feature code.
 */
export type CapsuleSurface = (t: number, side: number, light: number, out: Float64Array) => number;

export class Capsule implements Primitive {
  readonly bounds: readonly [number, number, number, number];
  private readonly dx: number;
  private readonly dy: number;
  private readonly len2: number;

  constructor(
    readonly part: number,
    readonly a: Vec3,
    readonly b: Vec3,
    readonly radius: number,
    private readonly surface: CapsuleSurface,
  ) {
    this.dx = b[0] - a[0];
    this.dy = b[1] - a[1];
    this.len2 = this.dx * this.dx + this.dy * this.dy;
    const r = radius;
    this.bounds = [Math.min(a[0], b[0]) - r, Math.min(a[1], b[1]) - r, Math.max(a[0], b[0]) + r, Math.max(a[1], b[1]) + r];
  }

  private axisParam(x: number, y: number): number {
    if (this.len2 === 0) return 0;
    const t = ((x - this.a[0]) * this.dx + (y - this.a[1]) * this.dy) / this.len2;
    return Math.min(1, Math.max(0, t));
  }

  depth(x: number, y: number): number {
    const t = this.axisParam(x, y);
    const ex = x - (this.a[0] + t * this.dx);
    const ey = y - (this.a[1] + t * this.dy);
    const d2 = this.radius * this.radius - ex * ex - ey * ey;
    if (d2 < 0) return -Infinity;
    return this.a[2] + t * (this.b[2] - this.a[2]) + Math.sqrt(d2);
  }

  shade(x: number, y: number, out: Float64Array): number {
    const t = this.axisParam(x, y);
    const ex = (x - (this.a[0] + t * this.dx)) / this.radius;
    const ey = (y - (this.a[1] + t * this.dy)) / this.radius;
    const nz = Math.sqrt(Math.max(0, 1 - ex * ex - ey * ey));
    const len = Math.sqrt(this.len2) || 1;
    const side = (ex * -this.dy + ey * this.dx) / len;
    return this.surface(t, side, lambert(ex, ey, nz), out);
  }
}
