// The shapes kind (MGif-like): a textured deforming blob with limbs that swing round it, passing in
// front of and behind it. Landmarks: points fixed in the body's texture on its rim, and the limb tips.
import { Blob } from "./blob.js";
import type { Pose, SynthKind } from "./kind.js";
import { fractalNoise } from "./noise.js";
import { LIMBS, shapeIdentity, type ShapeIdentity } from "./shape-identity.js";
import { shapeMotion } from "./shape-motion.js";
import { Feature, type Landmark, type Scene } from "./scene.js";

const RIM_POINTS = 8;
export const SHAPE_LANDMARKS = [
  ...Array.from({ length: RIM_POINTS }, (_, i) => `rim_${i}`),
  ...Array.from({ length: LIMBS }, (_, i) => `limb_${i}`),
];

export function shapeScene(id: ShapeIdentity, pose: Pose): Scene {
  const outline = (angle: number) => {
    let r = 1;
    for (const h of id.harmonics) r += h.amp * Math.sin(h.k * angle + h.phase + h.speed * pose.time);
    return id.radius * r;
  };
  const maxRadius = id.radius * (1 + id.harmonics.reduce((s, h) => s + h.amp, 0));
  const body = new Blob(0, pose.tx, pose.ty, 0, outline, maxRadius, pose.spin, pose.squash, 0.15, (rho, angle, light, out) => {
    const u = rho * Math.cos(angle) * id.textureFreq;
    const v = rho * Math.sin(angle) * id.textureFreq;
    let t: number;
    if (id.texture === 0) t = fractalNoise(u + 5, v + 5, id.textureSeed) > 0.62 ? 1 : 0;
    else if (id.texture === 1) t = Math.sin(u * 2) > 0.2 ? 1 : 0;
    else if (id.texture === 2) t = Math.sin(rho * id.textureFreq * 4) > 0.3 ? 1 : 0;
    else t = fractalNoise(u, v, id.textureSeed);
    const rim = rho > 0.9 ? 0.75 : 1;
    for (let c = 0; c < 3; c++) out[c] = (id.body[c] + (id.accent[c] - id.body[c]) * t) * light * rim;
    return Feature.blob;
  });
  const limbs = id.limbs.map((limb, i) => {
    const angle = limb.angle + pose[`limbSwing${i}`];
    const [ax, ay] = body.pointAt(1, angle);
    const reach = limb.radius * 0.6;
    const a = angle + pose.spin;
    const lx = ax + reach * Math.cos(a);
    const ly = ay + reach * Math.sin(a);
    const z = 0.25 * pose[`limbDepth${i}`];
    const colour = limb.colour;
    return new Blob(
      1 + i,
      lx,
      ly,
      z,
      () => limb.radius,
      limb.radius,
      a,
      0.25,
      0.05,
      (rho, ang, light, out) => {
        const spot = Math.cos(ang * 3) * rho > 0.5 ? 0.7 : 1;
        for (let c = 0; c < 3; c++) out[c] = colour[c] * light * spot;
        return Feature.limb;
      },
    );
  });
  const landmarks: Landmark[] = [];
  for (let k = 0; k < RIM_POINTS; k++) {
    const [x, y] = body.pointAt(0.8, (2 * Math.PI * k) / RIM_POINTS);
    landmarks.push({ name: `rim_${k}`, x, y, z: body.depth(x, y), parts: [0], feature: Feature.blob });
  }
  limbs.forEach((limb, i) => {
    landmarks.push({ name: `limb_${i}`, x: limb.cx, y: limb.cy, z: limb.depth(limb.cx, limb.cy), parts: [1 + i], feature: Feature.limb });
  });
  return { background: id.background, primitives: [body, ...limbs], landmarks, pose };
}

export const shapes: SynthKind<ShapeIdentity> = {
  name: "shapes",
  landmarkNames: SHAPE_LANDMARKS,
  identity: shapeIdentity,
  motion: shapeMotion,
  scene: shapeScene,
  describe: (id) => {
    const { background: _bg, ...rest } = id;
    return rest as unknown as Record<string, unknown>;
  },
};
