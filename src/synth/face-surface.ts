// Paints the head sphere: features live at fixed longitude/elevation on the head, so turning the
// head carries them round and behind it (real occlusion, not a 2D fade).
import type { FaceIdentity } from "./face-identity.js";
import type { Pose } from "./kind.js";
import { fractalNoise } from "./noise.js";
import type { Vec3 } from "./rotation.js";
import { Feature } from "./scene.js";

/** Longitude (0 = front, + toward the head's own right in the image at yaw 0) and elevation (+ up) of a local unit normal. */
export function angles(n: Vec3): { lon: number; up: number } {
  return { lon: Math.atan2(n[0], n[2]), up: Math.asin(Math.max(-1, Math.min(1, -n[1]))) };
}

/** The local unit direction of (lon, up). */
export function direction(lon: number, up: number): Vec3 {
  return [Math.sin(lon) * Math.cos(up), -Math.sin(up), Math.cos(lon) * Math.cos(up)];
}

/** The mouth's vertical half-opening (radians) for a pose. */
export function mouthOpening(id: FaceIdentity, pose: Pose): number {
  return id.mouthH * (0.3 + 1.6 * pose.mouthOpen);
}

/** Hairline elevation at a longitude. */
function hairline(id: FaceIdentity, lon: number): number {
  return id.hairFront + ((id.hairBack - id.hairFront) * (1 - Math.cos(lon))) / 2 + id.hairWave * Math.sin(lon * id.hairWaveFreq);
}

function set(out: Float64Array, c: readonly number[], k: number): void {
  out[0] = c[0] * k;
  out[1] = c[1] * k;
  out[2] = c[2] * k;
}

/** The surface painter of one head in one pose. */
export function headSurface(id: FaceIdentity, pose: Pose) {
  const openH = mouthOpening(id, pose);
  const eyeOpen = Math.max(0.12, pose.eyeOpen);
  return (n: Vec3, light: number, out: Float64Array): number => {
    const { lon, up } = angles(n);
    // Eyes, then glasses, brows, mouth, hair, skin.
    for (const side of [-1, 1]) {
      const lonE = side * id.eyeLon;
      const du = (lon - lonE) / id.eyeW;
      const dv = (up - id.eyeUp) / (id.eyeH * eyeOpen);
      const r2 = du * du + dv * dv;
      if (r2 < 1) {
        if (pose.eyeOpen < 0.3) {
          set(out, id.skin, 0.6 * light);
          return Feature.eye;
        }
        const gx = lonE + pose.gazeX * id.eyeW * 0.35;
        const gy = id.eyeUp + pose.gazeY * id.eyeH * 0.3;
        const di = Math.hypot(lon - gx, up - gy) / (id.eyeH * 0.75);
        if (di < 0.45) set(out, [0.05, 0.05, 0.07], light);
        else if (di < 1) set(out, id.iris, light * (0.8 + 0.2 * di));
        else set(out, [0.97, 0.97, 0.95], light);
        return Feature.eye;
      }
      const rim = Math.hypot(du, (up - id.eyeUp) / id.eyeW);
      if (r2 < 1.6 && rim < 1.2) {
        set(out, [0.12, 0.08, 0.08], light); // lash line
        return Feature.eye;
      }
      if (id.glasses && rim > 1.3 && rim < 1.5) {
        set(out, id.glasses, light);
        return Feature.accessory;
      }
      const bu = (lon - lonE) / (id.eyeW * 1.3);
      const browUp = id.eyeUp + id.eyeH * 1.8 + 0.06 * pose.browRaise;
      const bv = (up - browUp + 0.06 * bu * bu) / id.browThick;
      if (Math.abs(bu) < 1 && Math.abs(bv) < 1) {
        set(out, id.brow, light);
        return Feature.brow;
      }
    }
    if (id.glasses && Math.abs(up - id.eyeUp) < 0.025 && Math.abs(lon) < id.eyeLon - 1.3 * id.eyeW) {
      set(out, id.glasses, light);
      return Feature.accessory;
    }
    const mu = lon / id.mouthW;
    const mv = (up - id.mouthUp) / openH;
    const m2 = mu * mu + mv * mv;
    if (m2 < 1) {
      const teeth = pose.mouthOpen > 0.25 && mv > 0.45;
      set(out, teeth ? [0.95, 0.95, 0.9] : [0.35, 0.05, 0.08], light);
      return Feature.mouth;
    }
    const lipV = (up - id.mouthUp) / (openH + 0.045);
    const lipU = lon / (id.mouthW + 0.03);
    if (lipU * lipU + lipV * lipV < 1) {
      set(out, id.lip, light);
      return Feature.mouth;
    }
    if (up > hairline(id, lon)) {
      set(out, id.hair, light * (0.8 + 0.2 * Math.sin(lon * 40 + up * 6)));
      return Feature.hair;
    }
    let k = 0.94 + 0.06 * fractalNoise(lon * 6 + 3, up * 6 + 3, 7);
    if (id.freckles > 0 && fractalNoise(lon * 30, up * 30, 11) > 1 - id.freckles && Math.abs(up + 0.2) < 0.25) k *= 0.8;
    set(out, id.skin, light * k);
    return Feature.skin;
  };
}
