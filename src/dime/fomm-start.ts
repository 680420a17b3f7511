// DiME from a FOMM start: a model with refine, identity_flow and references switched on takes an
// imported FOMM's weights, and its own parts start as exact no-ops, so it starts out as that FOMM
// and training only adds to it. The MotionODE's and SelfFlow's last convs are zero (their nets
// return their input: Phi = phi(0), Psi = identity); the fuse conv takes F_motion through (an
// identity on its first half, zero on F_id's). With references the views are fused by their
// confidences (eq. 11) from the first step; with the source alone the model is the FOMM.
import * as torch from "../torch/index.js";
import type { Tensor } from "../torch/index.js";
import type { DiME } from "./dime.js";
import type { Switches } from "./config/schema.js";

/** The state-dict prefixes of DiME's own parts, which a FOMM checkpoint does not have. */
export const DIME_PARTS = ["generator.motion_ode.", "generator.self_flow.", "generator.fuse."];

/** True when `from` is FOMM's (no DiME part) and `to` switches on at least one DiME part. */
export function isFommToDime(from: Switches, to: Switches): boolean {
  const fomm = !from.refine && !from.identity_flow && from.num_refs === 0;
  return fomm && (to.refine || to.identity_flow || to.num_refs > 0);
}

/**
 * Loads a FOMM state dict (`generator.*`, `kp_detector.*`) into `model` and sets DiME's parts to
 * their no-op start. Throws when the state dict misses anything but DiME's parts.
 */
export function startFromFomm(model: DiME, fomm: ReadonlyMap<string, Tensor>): void {
  const result = model.loadStateDict(fomm, { strict: false });
  const missing = result.missingKeys.filter((k) => !DIME_PARTS.some((p) => k.startsWith(p)));
  if (missing.length > 0 || result.unexpectedKeys.length > 0) {
    throw new Error(
      `the FOMM weights do not fit the DiME model: ${missing[0] ? `${missing[0]} is missing` : `${result.unexpectedKeys[0]} is not in the model`}`,
    );
  }
  const g = model.generator;
  torch.noGrad(() => {
    for (const f of [g.motion_ode?.f0, g.motion_ode?.f_ref, g.self_flow]) {
      if (!f) continue;
      f.final.weight.zero_();
      f.final.bias!.zero_();
    }
    const fuse = g.generator.fuse;
    if (fuse) {
      // (C, 2C, 1, 1): [identity | zero], so fuse(F_motion (+) F_id) = F_motion.
      const c = fuse.weight.size(0);
      torch.tidy(() => fuse.weight.copy_(torch.cat([torch.eye(c), torch.zeros([c, c])], 1).view(c, 2 * c, 1, 1)));
      fuse.bias!.zero_();
    }
  });
}
