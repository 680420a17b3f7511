// A textured sphere: exact ray cast (orthographic), with the surface colour given in the sphere's own
// rotated frame, so features painted on it turn with it and disappear behind it.
import { lambert } from "./lighting.js";
import { applyT, type Mat3, type Vec3 } from "./rotation.js";
import type { Primitive } from "./scene.js";

/** Paints the surface: `local` is the unit normal in the object's frame; returns the feature code. */
export type SphereSurface = (local: Vec3, light: number, out: Float64Array) => number;

export class Sphere implements Primitive {
  readonly bounds: readonly [number, number, number, number];

  constructor(
    readonly part: number,
    readonly center: Vec3,
    readonly radius: number,
    readonly rotation: Mat3,
    private readonly surface: SphereSurface,
  ) {
    const [cx, cy] = center;
    this.bounds = [cx - radius, cy - radius, cx + radius, cy + radius];
  }

  depth(x: number, y: number): number {
    const dx = x - this.center[0];
    const dy = y - this.center[1];
    const d2 = this.radius * this.radius - dx * dx - dy * dy;
    return d2 < 0 ? -Infinity : this.center[2] + Math.sqrt(d2);
  }

  shade(x: number, y: number, out: Float64Array): number {
    const r = this.radius;
    const nx = (x - this.center[0]) / r;
    const ny = (y - this.center[1]) / r;
    const nz = Math.sqrt(Math.max(0, 1 - nx * nx - ny * ny));
    return this.surface(applyT(this.rotation, [nx, ny, nz]), lambert(nx, ny, nz), out);
  }

  /** The world position of the surface point in local direction `dir` (normalised here). */
  surfacePoint(dir: Vec3): Vec3 {
    const m = this.rotation;
    const r = this.radius / Math.hypot(dir[0], dir[1], dir[2]);
    return [
      this.center[0] + r * (m[0] * dir[0] + m[1] * dir[1] + m[2] * dir[2]),
      this.center[1] + r * (m[3] * dir[0] + m[4] * dir[1] + m[5] * dir[2]),
      this.center[2] + r * (m[6] * dir[0] + m[7] * dir[1] + m[8] * dir[2]),
    ];
  }
}
