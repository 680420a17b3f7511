// The faces kind: a head sphere with painted features, a nose and two ears as spheres of their own,
// a neck and shoulders, on the identity's background. Landmarks are surface points; each is visible
// exactly when the camera ray through it meets its own surface first.
import { faceIdentity, type FaceIdentity } from "./face-identity.js";
import { faceMotion } from "./face-motion.js";
import { direction, headSurface, mouthOpening } from "./face-surface.js";
import { Capsule } from "./capsule.js";
import type { Pose, SynthKind } from "./kind.js";
import { apply, rotationYPR, type Vec3 } from "./rotation.js";
import { Feature, type Landmark, type Primitive, type Scene } from "./scene.js";
import { Sphere } from "./sphere.js";

/** Part ids of the faces kind. */
export const FacePart = { head: 0, nose: 1, earLeft: 2, earRight: 3, neck: 4, shoulders: 5, earringLeft: 6, earringRight: 7 } as const;

/** "left" and "right" are as seen in the picture at yaw 0. */
export const FACE_LANDMARKS = [
  "eye_left",
  "eye_right",
  "ear_left",
  "ear_right",
  "nose_tip",
  "mouth_left",
  "mouth_right",
  "mouth_top",
  "mouth_bottom",
  "chin",
] as const;

function add(a: Vec3, b: Vec3): Vec3 {
  return [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
}

function times(v: Vec3, k: number): Vec3 {
  return [v[0] * k, v[1] * k, v[2] * k];
}

export function faceScene(id: FaceIdentity, pose: Pose): Scene {
  const R = id.headR * pose.scale;
  const rot = rotationYPR(pose.yaw, pose.pitch, pose.roll);
  const center: Vec3 = [pose.tx, pose.ty - 0.12, 0];
  const local = (v: Vec3): Vec3 => add(center, apply(rot, times(v, R)));
  const skinSurface =
    (feature: number, k = 1) =>
    (_n: Vec3, light: number, out: Float64Array) => {
      out[0] = id.skin[0] * light * k;
      out[1] = id.skin[1] * light * k;
      out[2] = id.skin[2] * light * k;
      return feature;
    };

  const head = new Sphere(FacePart.head, center, R, rot, headSurface(id, pose));
  const noseCenter = local([0, 0.1, 0.92]);
  const nose = new Sphere(FacePart.nose, noseCenter, id.noseR * R, rot, skinSurface(Feature.nose, 0.92));
  const earSurface = (n: Vec3, light: number, out: Float64Array) => {
    // A darker inner bowl facing outward makes the ear read as an ear.
    const inner = Math.abs(n[0]) > 0.75 && Math.abs(n[1]) < 0.5;
    const k = inner ? 0.7 : 0.95;
    out[0] = id.skin[0] * light * k;
    out[1] = id.skin[1] * light * k;
    out[2] = id.skin[2] * light * k;
    return Feature.ear;
  };
  const earDir = (side: number): Vec3 => [side * 0.98, 0.08, -0.05];
  const ears = [-1, 1].map(
    (side) => new Sphere(side < 0 ? FacePart.earLeft : FacePart.earRight, local(earDir(side)), id.earR * R, rot, earSurface),
  );

  const body: Primitive[] = [];
  const neckTop: Vec3 = [center[0], center[1] + 0.55 * id.headR, -0.35 * id.headR];
  const neckBottom: Vec3 = [center[0], center[1] + 1.5 * id.headR, -0.35 * id.headR];
  body.push(
    new Capsule(FacePart.neck, neckTop, neckBottom, 0.38 * id.headR, (_t, _s, light, out) => {
      out[0] = id.skin[0] * light * 0.85;
      out[1] = id.skin[1] * light * 0.85;
      out[2] = id.skin[2] * light * 0.85;
      return Feature.skin;
    }),
  );
  const shoulderY = center[1] + 2.2 * id.headR;
  body.push(
    new Capsule(
      FacePart.shoulders,
      [center[0] - 1.2 * id.headR, shoulderY, -1.2 * id.headR],
      [center[0] + 1.2 * id.headR, shoulderY, -1.2 * id.headR],
      0.85 * id.headR,
      (t, s, light, out) => {
        const stripe = Math.sin(t * 24 + s * 2) > 0.5 ? 0.8 : 1;
        out[0] = id.shirt[0] * light * stripe;
        out[1] = id.shirt[1] * light * stripe;
        out[2] = id.shirt[2] * light * stripe;
        return Feature.cloth;
      },
    ),
  );

  const extras: Primitive[] = [];
  if (id.earrings) {
    const colour = id.earrings;
    for (const side of [-1, 1]) {
      extras.push(
        new Sphere(
          side < 0 ? FacePart.earringLeft : FacePart.earringRight,
          local([side * 0.98, 0.08 + id.earR + 0.07, -0.05]),
          0.07 * R,
          rot,
          (_n, light, out) => {
            out[0] = colour[0] * light;
            out[1] = colour[1] * light;
            out[2] = colour[2] * light;
            return Feature.accessory;
          },
        ),
      );
    }
  }

  const primitives: Primitive[] = [head, nose, ...ears, ...body, ...extras];
  const onHead = (lon: number, up: number): Vec3 => head.surfacePoint(direction(lon, up));
  const openH = mouthOpening(id, pose);
  const point = (name: string, p: Vec3, parts: number[], feature: number): Landmark => ({
    name,
    x: p[0],
    y: p[1],
    z: p[2],
    parts,
    feature,
  });
  const earPoint = (side: number) => ears[side < 0 ? 0 : 1].surfacePoint([side * 0.894, 0, 0.447]);
  const landmarks: Landmark[] = [
    point("eye_left", onHead(-id.eyeLon, id.eyeUp), [FacePart.head], Feature.eye),
    point("eye_right", onHead(id.eyeLon, id.eyeUp), [FacePart.head], Feature.eye),
    point("ear_left", earPoint(-1), [FacePart.earLeft], Feature.ear),
    point("ear_right", earPoint(1), [FacePart.earRight], Feature.ear),
    point("nose_tip", nose.surfacePoint([0, 0, 1]), [FacePart.nose], Feature.nose),
    point("mouth_left", onHead(-0.85 * id.mouthW, id.mouthUp), [FacePart.head], Feature.mouth),
    point("mouth_right", onHead(0.85 * id.mouthW, id.mouthUp), [FacePart.head], Feature.mouth),
    point("mouth_top", onHead(0, id.mouthUp + 0.7 * openH), [FacePart.head], Feature.mouth),
    point("mouth_bottom", onHead(0, id.mouthUp - 0.7 * openH), [FacePart.head], Feature.mouth),
    point("chin", onHead(0, id.mouthUp - openH - 0.3), [FacePart.head], Feature.skin),
  ];
  return { background: id.background, primitives, landmarks, pose };
}

export const faces: SynthKind<FaceIdentity> = {
  name: "faces",
  landmarkNames: FACE_LANDMARKS,
  identity: faceIdentity,
  motion: faceMotion,
  scene: faceScene,
  describe: (id) => {
    const { background: _bg, ...rest } = id;
    return rest as unknown as Record<string, unknown>;
  },
};
