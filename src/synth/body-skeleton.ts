// Forward kinematics of the figure: joint positions in the frame from one pose.
import type { BodyIdentity } from "./body-identity.js";
import type { Pose } from "./kind.js";
import { apply, rotationYPR, type Vec3 } from "./rotation.js";

export const JOINTS = [
  "head",
  "neck",
  "shoulder_left",
  "elbow_left",
  "wrist_left",
  "shoulder_right",
  "elbow_right",
  "wrist_right",
  "hip_left",
  "knee_left",
  "ankle_left",
  "hip_right",
  "knee_right",
  "ankle_right",
  "pelvis",
] as const;
export type Joint = (typeof JOINTS)[number];

/** Unit vector pointing down (+y), tilted sideways by `out` (toward side s) and then forward by `swing`. */
function limbDirection(side: number, out: number, swing: number): Vec3 {
  const x = side * Math.sin(out);
  const y = Math.cos(out);
  return [x, y * Math.cos(swing), y * Math.sin(swing)];
}

function along(p: Vec3, d: Vec3, length: number): Vec3 {
  return [p[0] + d[0] * length, p[1] + d[1] * length, p[2] + d[2] * length];
}

/** Joint positions in frame coordinates (x right, y down, z toward the viewer). */
export function skeleton(id: BodyIdentity, pose: Pose): Record<Joint, Vec3> {
  const s = 0.95 * id.scale;
  const body: Partial<Record<Joint, Vec3>> = {};
  const shoulderHalf = 0.19 * id.shoulderWidth;
  body.shoulder_left = [-shoulderHalf, -0.44, 0];
  body.shoulder_right = [shoulderHalf, -0.44, 0];
  body.neck = [0, -0.44, 0]; // the midpoint of the shoulder line, on purpose (see body-scene landmarks)
  body.head = [0, -0.62, 0];
  body.pelvis = [0, 0.12, 0];
  body.hip_left = [-0.1, 0.14, 0];
  body.hip_right = [0.1, 0.14, 0];
  for (const [side, name] of [
    [-1, "left"],
    [1, "right"],
  ] as const) {
    const k = side < 0 ? "L" : "R";
    const upper = limbDirection(side, pose[`shoulderAcross${k}`], pose[`shoulderSwing${k}`]);
    const elbow = along(body[`shoulder_${name}`]!, upper, 0.27 * id.armLength);
    const fore = limbDirection(side, pose[`shoulderAcross${k}`] * 0.6, pose[`shoulderSwing${k}`] + pose[`elbow${k}`]);
    body[`elbow_${name}`] = elbow;
    body[`wrist_${name}`] = along(elbow, fore, 0.25 * id.armLength);
    const thigh = limbDirection(side, 0.08, pose[`hipSwing${k}`]);
    const knee = along(body[`hip_${name}`]!, thigh, 0.36 * id.legLength);
    const shin = limbDirection(side, 0.04, pose[`hipSwing${k}`] - pose[`knee${k}`]);
    body[`knee_${name}`] = knee;
    body[`ankle_${name}`] = along(knee, shin, 0.34 * id.legLength);
  }
  // Turn the whole body (yaw), lean it (roll), place it; the lowest ankle rests near the bottom.
  const rot = rotationYPR(pose.yaw, 0, pose.lean);
  const out = {} as Record<Joint, Vec3>;
  for (const joint of JOINTS) {
    const p = apply(rot, body[joint]!);
    out[joint] = [pose.tx + s * p[0], pose.ty - 0.02 + s * p[1], s * p[2]];
  }
  return out;
}
