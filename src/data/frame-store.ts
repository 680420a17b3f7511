// Random access to the frames of the dataset's videos at the training size. Frame folders are read
// frame by frame; video files are decoded once (streamed through ffmpeg, resized while decoding)
// and kept as rgb24 in a byte-bounded LRU cache, because seeking an mp4 per frame costs a process.
import { readImage } from "../media/image-read.js";
import { listFrames } from "../media/frame-folder.js";
import { rgb24ToImage, imageToRgb24, type RgbImage } from "../media/image.js";
import { readFrames } from "../media/video-read.js";
import type { VideoEntry } from "./layout.js";

export class FrameStore {
  private readonly folders = new Map<string, string[]>();
  private readonly decoded = new Map<string, Uint8Array[]>();
  private cachedBytes = 0;

  /** `size`: frames come out size x size (center crop). `cacheBytes`: bound of the decoded-video cache. */
  constructor(
    private readonly size: number,
    private readonly cacheBytes = 512 * 1024 * 1024,
  ) {}

  /** The frames `indices` of `video`, each (3, size, size) float RGB, in the order asked. */
  async frames(video: VideoEntry, indices: readonly number[]): Promise<RgbImage[]> {
    const fit = { width: this.size, height: this.size, crop: "center" as const };
    if (video.kind === "frames") {
      let files = this.folders.get(video.path);
      if (!files) {
        files = listFrames(video.path);
        this.folders.set(video.path, files);
      }
      // Always fit: frames of one folder are not guaranteed to share the first frame's size.
      return Promise.all(indices.map((i) => readImage(files![i], { fit })));
    }
    const all = await this.decode(video);
    return indices.map((i) => rgb24ToImage(all[i], this.size, this.size));
  }

  private async decode(video: VideoEntry): Promise<Uint8Array[]> {
    const hit = this.decoded.get(video.path);
    if (hit) {
      // Refresh its place in the LRU order.
      this.decoded.delete(video.path);
      this.decoded.set(video.path, hit);
      return hit;
    }
    const fit =
      video.width === this.size && video.height === this.size
        ? undefined
        : { width: this.size, height: this.size, crop: "center" as const };
    const frames: Uint8Array[] = [];
    for await (const frame of readFrames(video.path, { fit })) frames.push(imageToRgb24(frame.image));
    const bytes = frames.length * this.size * this.size * 3;
    while (this.cachedBytes + bytes > this.cacheBytes && this.decoded.size > 0) {
      const [oldest, dropped] = this.decoded.entries().next().value as [string, Uint8Array[]];
      this.decoded.delete(oldest);
      this.cachedBytes -= dropped.length * this.size * this.size * 3;
    }
    this.decoded.set(video.path, frames);
    this.cachedBytes += bytes;
    return frames;
  }
}
