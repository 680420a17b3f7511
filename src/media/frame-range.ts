// Which frames of a video to read: `start`, `end` (exclusive) and `stride`, checked once.

/** Frames `start, start + stride, ...` below `end`. Defaults: 0, the frame count, 1. */
export interface FrameRange {
  start?: number;
  end?: number;
  stride?: number;
}

/** The checked range for a video of `frameCount` frames; throws `RangeError` with the bad value. */
export function resolveRange(range: FrameRange, frameCount: number): { start: number; end: number; stride: number; count: number } {
  const start = range.start ?? 0;
  const end = Math.min(range.end ?? frameCount, frameCount);
  const stride = range.stride ?? 1;
  if (!Number.isInteger(start) || start < 0) throw new RangeError(`frame start must be an integer >= 0, got ${start}`);
  if (!Number.isInteger(stride) || stride < 1) throw new RangeError(`frame stride must be an integer >= 1, got ${stride}`);
  if (!Number.isInteger(end) || end <= start)
    throw new RangeError(`frame range ${start}..${range.end ?? frameCount} is empty (the video has ${frameCount} frames)`);
  return { start, end, stride, count: Math.ceil((end - start) / stride) };
}
