// Small synthetic clips and a PSNR helper for the media tests.
import { VideoWriter } from "../src/media/video-write.js";
import type { RgbImage } from "../src/media/image.js";

/**
 * A smooth moving colour pattern, frame `t` of a clip: about half a colour cycle across the frame,
 * like natural footage (yuv420p halves chroma resolution, so sharp colour edges in tiny frames
 * would measure the subsampling, not the pipeline).
 */
export function patternFrame(width: number, height: number, t: number): RgbImage {
  const plane = width * height;
  const data = new Float32Array(plane * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const u = x / width;
      const v = y / height;
      data[i] = 0.5 + 0.4 * Math.sin(3.14 * (u + 0.05 * t));
      data[plane + i] = 0.5 + 0.4 * Math.cos(3.14 * (v - 0.03 * t));
      data[2 * plane + i] = 0.5 + 0.3 * Math.sin(3.14 * (u + v) + 0.2 * t);
    }
  }
  return { data, width, height };
}

/** Peak signal-to-noise ratio in dB between two pictures of the same size (peak 1). */
export function psnr(a: RgbImage, b: RgbImage): number {
  if (a.width !== b.width || a.height !== b.height) throw new Error(`sizes differ: ${a.width}x${a.height} vs ${b.width}x${b.height}`);
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) sum += (a.data[i] - b.data[i]) ** 2;
  const mse = sum / a.data.length;
  return mse === 0 ? Infinity : 10 * Math.log10(1 / mse);
}

/** Writes `count` pattern frames to `path` and returns them. */
export async function writeClip(
  path: string,
  width: number,
  height: number,
  count: number,
  fps: number | string,
  audioFrom?: string,
): Promise<RgbImage[]> {
  const writer = new VideoWriter(path, { fps, width, height, audioFrom });
  const frames: RgbImage[] = [];
  for (let t = 0; t < count; t++) {
    const frame = patternFrame(width, height, t);
    frames.push(frame);
    await writer.write(frame);
  }
  await writer.close();
  return frames;
}
