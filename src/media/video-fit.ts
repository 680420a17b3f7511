// The ffmpeg filters that bring video frames to the model's size, with the same meaning as the
// image `FitOptions` (center crop, or contain and pad with a colour / the edge / a mirror).
import { containBox, type FitOptions } from "./fit.js";

/** Filters for `-vf` and the size they produce. Without `fit`, no scaling. */
export function scaleFilters(
  srcWidth: number,
  srcHeight: number,
  fit: FitOptions | undefined,
): { filters: string[]; width: number; height: number } {
  if (!fit) return { filters: [], width: srcWidth, height: srcHeight };
  const { width, height } = fit;
  // swscale widens its kernel when it shrinks, so lanczos here is anti-aliased.
  const flags = "flags=lanczos+accurate_rnd+full_chroma_int";
  if ((fit.crop ?? "center") === "center") {
    const scale = Math.max(width / srcWidth, height / srcHeight);
    const w = Math.max(width, Math.round(srcWidth * scale));
    const h = Math.max(height, Math.round(srcHeight * scale));
    const filters = [`scale=${w}:${h}:${flags}`, `crop=${width}:${height}:${Math.floor((w - width) / 2)}:${Math.floor((h - height) / 2)}`];
    return { filters, width, height };
  }
  const box = containBox(srcWidth, srcHeight, width, height);
  const filters = [`scale=${box.w}:${box.h}:${flags}`];
  const [r, g, b] = (fit.padColor ?? [0, 0, 0]).map((v) => Math.round(Math.min(1, Math.max(0, v)) * 255));
  const hex = [r, g, b].map((v) => v.toString(16).padStart(2, "0")).join("");
  filters.push(`pad=${width}:${height}:${box.left}:${box.top}:color=0x${hex}`);
  if (fit.pad === "edge" || fit.pad === "mirror") {
    const mode = fit.pad === "edge" ? "smear" : "mirror";
    filters.push(`fillborders=left=${box.left}:right=${box.right}:top=${box.top}:bottom=${box.bottom}:mode=${mode}`);
  }
  return { filters, width, height };
}
