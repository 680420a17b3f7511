// The metric networks dime eval loads from files: LPIPS (a torchvision backbone the user gives plus
// the v0.1 heads shipped in models/lpips) and pytorch-fid's Inception-v3 for FID. None is ever
// replaced by something else: a metric whose file is not given, or does not fit, is reported
// unavailable with the reason (DESIGN section 7).
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import type { Device } from "../torch/index.js";
import { InceptionV3Features, Lpips, LPIPS_BACKBONES, MetricWeightsError, type LpipsNet } from "./metrics/index.js";

// src/eval or dist/eval -> the package root.
const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** The shipped LPIPS v0.1 heads of `net`: models/lpips/lpips_v0.1_<net>.safetensors. */
export function defaultLpipsHeads(net: LpipsNet): string {
  return join(PACKAGE_ROOT, "models", "lpips", `lpips_v0.1_${net}.safetensors`);
}

export interface MetricNetworkFiles {
  /** "alex" (default, LPIPS's own default for a metric) or "vgg". */
  lpipsNet?: LpipsNet;
  /** torchvision's alexnet / vgg16 ImageNet weights as safetensors; LPIPS is unavailable without. */
  lpipsBackbone?: string;
  /** LPIPS v0.1 heads (default: the shipped ones of lpipsNet). */
  lpipsHeads?: string;
  /** pytorch-fid's FID Inception weights as safetensors; FID is unavailable without. */
  inception?: string;
  device?: Device;
}

export interface MetricNetworks {
  lpips?: Lpips;
  inception?: InceptionV3Features;
  /** Why LPIPS or FID cannot be computed, when it cannot. */
  unavailable: { lpips?: string; fid?: string };
  /** What was loaded, for the report. */
  files: { lpipsNet: LpipsNet; lpipsBackbone?: string; lpipsHeads: string; inception?: string };
  dispose(): void;
}

function tryLoad<T>(load: () => T): T | string {
  try {
    return load();
  } catch (error) {
    if (error instanceof MetricWeightsError) return error.message;
    throw error;
  }
}

/**
 * Loads LPIPS and the FID Inception from the files given; a missing or unfit file leaves the
 * network out with the reason (MetricWeightsError's line) in `unavailable`.
 */
export function loadMetricNetworks(files: MetricNetworkFiles = {}): MetricNetworks {
  const lpipsNet = files.lpipsNet ?? "alex";
  if (!(lpipsNet in LPIPS_BACKBONES))
    throw new RangeError(`unknown LPIPS net '${lpipsNet}': use ${Object.keys(LPIPS_BACKBONES).join(" or ")}`);
  const lpipsHeads = files.lpipsHeads ?? defaultLpipsHeads(lpipsNet);
  const unavailable: MetricNetworks["unavailable"] = {};
  let lpips: Lpips | undefined;
  let inception: InceptionV3Features | undefined;
  const backbone = files.lpipsBackbone;
  if (backbone === undefined) {
    const torchvision = LPIPS_BACKBONES[lpipsNet].torchvision;
    unavailable.lpips = `no LPIPS backbone given: LPIPS needs torchvision's ImageNet ${torchvision} weights as safetensors (--lpips-backbone FILE; docs/evaluation.md says how to write it)`;
  } else {
    const loaded = tryLoad(() => Lpips.fromFiles(lpipsNet, { backbone, heads: lpipsHeads, device: files.device }));
    if (typeof loaded === "string") unavailable.lpips = loaded;
    else lpips = loaded;
  }
  if (files.inception === undefined) {
    unavailable.fid =
      "no Inception weights given: FID needs pytorch-fid's FID Inception-v3 weights as safetensors (--inception FILE; docs/evaluation.md says how to write it)";
  } else {
    const path = files.inception;
    const loaded = tryLoad(() => InceptionV3Features.fromFile(path, files.device));
    if (typeof loaded === "string") unavailable.fid = loaded;
    else inception = loaded;
  }
  return {
    lpips,
    inception,
    unavailable,
    files: {
      lpipsNet,
      lpipsHeads,
      ...(backbone !== undefined ? { lpipsBackbone: backbone } : {}),
      ...(files.inception !== undefined ? { inception: files.inception } : {}),
    },
    dispose() {
      lpips?.dispose();
      inception?.dispose();
    },
  };
}
