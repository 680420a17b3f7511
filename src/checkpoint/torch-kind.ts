// What model a PyTorch checkpoint holds, told from its top-level entries and key names: FOMM's
// (generator + kp_detector, as Logger.save_cpk writes), or a relative dime cannot import yet:
// TPSMM (Thin-Plate Spline Motion Model: inpainting_network) or MRAA (Motion Representations for
// Articulated Animation: region_predictor).
import { PyDict, keyName, type PyValue } from "../io/torch-values.js";

export type TorchModelKind = "fomm" | "tpsmm" | "mraa" | "state-dict" | "unknown";

export interface RecognisedModel {
  kind: TorchModelKind;
  /** One line for listings and errors. */
  description: string;
}

/** The top-level entry names of a checkpoint (a dict's string keys). */
export function topLevelNames(value: PyValue): string[] {
  return value instanceof PyDict ? [...value.keys()].map((k) => keyName(k) ?? String(k)) : [];
}

/** Recognises the model from the unpickled object. */
export function recogniseTorchModel(value: PyValue): RecognisedModel {
  const names = new Set(topLevelNames(value));
  const has = (...keys: string[]) => keys.every((k) => names.has(k));
  if (has("inpainting_network")) {
    return {
      kind: "tpsmm",
      description: "a TPSMM checkpoint (Thin-Plate Spline Motion Model: kp_detector, dense_motion_network, inpainting_network)",
    };
  }
  if (has("region_predictor")) {
    return {
      kind: "mraa",
      description: "an MRAA checkpoint (Motion Representations for Articulated Animation: region_predictor, generator)",
    };
  }
  if (has("generator", "kp_detector")) {
    const generator = (value as PyDict).get("generator");
    const fommKeys =
      generator instanceof PyDict && [...generator.keys()].some((k) => typeof k === "string" && k.startsWith("dense_motion_network."));
    if (fommKeys) {
      const extras = ["discriminator", "optimizer_generator", "epoch"].filter((k) => names.has(k));
      return {
        kind: "fomm",
        description: `a FOMM checkpoint (First Order Motion Model: generator, kp_detector${extras.length ? `, ${extras.join(", ")}` : ""})`,
      };
    }
  }
  if (
    value instanceof PyDict &&
    value.size > 0 &&
    [...value.values()].every((v) => typeof v === "object" && v !== null && (v as { kind?: string }).kind === "tensor")
  ) {
    return { kind: "state-dict", description: "a bare state dict (tensors by name, no model recognised)" };
  }
  return { kind: "unknown", description: "no model dime recognises" };
}
