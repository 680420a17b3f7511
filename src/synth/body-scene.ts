// The bodies kind: a figure of textured capsules (torso, limbs) and a head sphere, depth-tested, so
// limbs that cross hide each other. Joint landmarks sit on the front of their joint; one is visible
// when the first surface the camera ray meets there is one of the joint's own limbs at that depth.
import { bodyIdentity, type BodyIdentity } from "./body-identity.js";
import { bodyMotion } from "./body-motion.js";
import { JOINTS, skeleton, type Joint } from "./body-skeleton.js";
import { Capsule, type CapsuleSurface } from "./capsule.js";
import type { Colour } from "../util/colour.js";
import { angles } from "./face-surface.js";
import type { Pose, SynthKind } from "./kind.js";
import { rotationYPR, type Vec3 } from "./rotation.js";
import { Feature, type Landmark, type Primitive, type Scene } from "./scene.js";
import { Sphere } from "./sphere.js";

export const BodyPart = {
  torso: 0,
  shoulders: 1,
  hips: 2,
  head: 3,
  neck: 4,
  upperArmLeft: 5,
  foreArmLeft: 6,
  upperArmRight: 7,
  foreArmRight: 8,
  thighLeft: 9,
  shinLeft: 10,
  thighRight: 11,
  shinRight: 12,
} as const;

/** The parts whose axis passes through each joint (so the joint's front point lies on their surface). */
const JOINT_PARTS: Record<Joint, number[]> = {
  head: [BodyPart.head],
  neck: [BodyPart.torso, BodyPart.shoulders, BodyPart.neck],
  shoulder_left: [BodyPart.shoulders, BodyPart.upperArmLeft],
  elbow_left: [BodyPart.upperArmLeft, BodyPart.foreArmLeft],
  wrist_left: [BodyPart.foreArmLeft],
  shoulder_right: [BodyPart.shoulders, BodyPart.upperArmRight],
  elbow_right: [BodyPart.upperArmRight, BodyPart.foreArmRight],
  wrist_right: [BodyPart.foreArmRight],
  hip_left: [BodyPart.hips, BodyPart.thighLeft],
  knee_left: [BodyPart.thighLeft, BodyPart.shinLeft],
  ankle_left: [BodyPart.shinLeft],
  hip_right: [BodyPart.hips, BodyPart.thighRight],
  knee_right: [BodyPart.thighRight, BodyPart.shinRight],
  ankle_right: [BodyPart.shinRight],
  pelvis: [BodyPart.torso, BodyPart.hips],
};

function paint(colour: Colour, feature: number, pattern?: (t: number, side: number) => number): CapsuleSurface {
  return (t, side, light, out) => {
    const k = light * (pattern ? pattern(t, side) : 1);
    out[0] = colour[0] * k;
    out[1] = colour[1] * k;
    out[2] = colour[2] * k;
    return feature;
  };
}

export function bodyScene(id: BodyIdentity, pose: Pose): Scene {
  const j = skeleton(id, pose);
  const s = 0.95 * id.scale;
  const g = 1.4 * s * id.girth;
  const radius: Record<number, number> = {
    [BodyPart.torso]: 0.12 * g,
    [BodyPart.shoulders]: 0.07 * g,
    [BodyPart.hips]: 0.095 * g,
    [BodyPart.neck]: 0.045 * g,
    [BodyPart.upperArmLeft]: 0.05 * g,
    [BodyPart.foreArmLeft]: 0.042 * g,
    [BodyPart.upperArmRight]: 0.05 * g,
    [BodyPart.foreArmRight]: 0.042 * g,
    [BodyPart.thighLeft]: 0.07 * g,
    [BodyPart.shinLeft]: 0.055 * g,
    [BodyPart.thighRight]: 0.07 * g,
    [BodyPart.shinRight]: 0.055 * g,
  };
  const stripes = (t: number) => (Math.sin(t * id.stripeFreq * Math.PI) > 0.3 ? 0.78 : 1);
  const shirt = paint(id.shirt, Feature.cloth, stripes);
  const sleeve = paint(id.shirtStripe, Feature.cloth, stripes);
  const skin = paint(id.skin, Feature.skin);
  const pants = paint(id.pants, Feature.cloth, (_t, side) => (Math.abs(side) > 0.8 ? 0.85 : 1));
  const shin: CapsuleSurface = (t, side, light, out) =>
    paint(t > 0.82 ? id.shoes : id.pants, t > 0.82 ? Feature.accessory : Feature.cloth)(t, side, light, out);
  const headBottom: Vec3 = [j.head[0], j.head[1] + 0.08 * s, j.head[2]];
  const cap = (part: number, a: Vec3, b: Vec3, surface: CapsuleSurface) => new Capsule(part, a, b, radius[part], surface);
  const headRot = rotationYPR(pose.yaw + pose.headYaw, 0, pose.lean);
  const head = new Sphere(BodyPart.head, j.head, 0.11 * s, headRot, (n, light, out) => {
    const { lon, up } = angles(n);
    let c: readonly number[] = id.skin;
    let feature: number = Feature.skin;
    if (up > 0.35 - 0.3 * (1 - Math.cos(lon))) {
      c = id.hair;
      feature = Feature.hair;
    } else if (Math.abs(up - 0.1) < 0.12 && Math.abs(Math.abs(lon) - 0.38) < 0.12) {
      c = [0.08, 0.08, 0.1];
      feature = Feature.eye;
    } else if (Math.abs(up + 0.4) < 0.06 && Math.abs(lon) < 0.3) {
      c = [0.55, 0.12, 0.15];
      feature = Feature.mouth;
    }
    out[0] = c[0] * light;
    out[1] = c[1] * light;
    out[2] = c[2] * light;
    return feature;
  });
  const primitives: Primitive[] = [
    cap(BodyPart.torso, j.neck, j.pelvis, shirt),
    cap(BodyPart.shoulders, j.shoulder_left, j.shoulder_right, shirt),
    cap(BodyPart.hips, j.hip_left, j.hip_right, pants),
    head,
    cap(BodyPart.neck, j.neck, headBottom, skin),
    cap(BodyPart.upperArmLeft, j.shoulder_left, j.elbow_left, sleeve),
    cap(BodyPart.foreArmLeft, j.elbow_left, j.wrist_left, id.longSleeves ? sleeve : skin),
    cap(BodyPart.upperArmRight, j.shoulder_right, j.elbow_right, sleeve),
    cap(BodyPart.foreArmRight, j.elbow_right, j.wrist_right, id.longSleeves ? sleeve : skin),
    cap(BodyPart.thighLeft, j.hip_left, j.knee_left, pants),
    cap(BodyPart.shinLeft, j.knee_left, j.ankle_left, shin),
    cap(BodyPart.thighRight, j.hip_right, j.knee_right, pants),
    cap(BodyPart.shinRight, j.knee_right, j.ankle_right, shin),
  ];
  const landmarks: Landmark[] = JOINTS.map((name) => {
    const parts = JOINT_PARTS[name];
    if (name === "head") {
      const p = head.surfacePoint([0, 0, 1]);
      return { name, x: p[0], y: p[1], z: p[2], parts, feature: Feature.skin };
    }
    const p = j[name];
    const front = Math.max(...parts.map((part) => radius[part]));
    return { name, x: p[0], y: p[1], z: p[2] + front, parts, feature: Feature.cloth };
  });
  return { background: id.background, primitives, landmarks, pose };
}

export const bodies: SynthKind<BodyIdentity> = {
  name: "bodies",
  landmarkNames: JOINTS,
  identity: bodyIdentity,
  motion: bodyMotion,
  scene: bodyScene,
  describe: (id) => {
    const { background: _bg, ...rest } = id;
    return rest as unknown as Record<string, unknown>;
  },
};
