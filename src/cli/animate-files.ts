// The file-to-file animation job behind `dime animate` and `dime demo`: read a checkpoint, a source
// picture, references and a driving video; write the animation (and optionally the side-by-side
// view) frame by frame as it comes; report what was written.
import type { Device, Precision } from "../torch/index.js";
import type { OdeSettings } from "../dime/motion_ode.js";
import type { AnimatedFrame, AnimationOptions } from "../infer/animate.js";
import { animateFootage, type CropChoice } from "../infer/footage.js";
import { footagePanels } from "../infer/footage-visualize.js";
import type { TrackMode } from "../face/track.js";
import { loadModel } from "../infer/model.js";
import { sideBySide } from "../infer/visualize.js";
import { probeMedia } from "../media/probe.js";
import { VideoWriter } from "../media/video-write.js";
import { outputRateFor } from "../media/timing.js";
import { checkWritable, frameProgress } from "./checks.js";
import { checkpointInputs, refuseOutputsOverInputs } from "./same-file.js";

export interface FileAnimation {
  checkpoint: string;
  /** A config to use with the checkpoint (its inference knobs may differ). */
  config?: string;
  source: string;
  references: string[];
  driving: string;
  out: string;
  /** Also write the side-by-side view (source | driving | output, keypoints drawn) here. */
  visualizeOut?: string;
  /** Copy the driving video's audio track. */
  audio?: boolean;
  mode: NonNullable<AnimationOptions["mode"]>;
  adaptScale?: boolean;
  findBestFrame?: boolean;
  ode?: Partial<OdeSettings>;
  /** Driving frames per batch (default: chosen by thread count and frame size, infer/batch-size.ts). */
  batch?: number;
  device: Device;
  /** fp32 when not given; see AnimationOptions.precision. */
  precision?: Precision;
  /** How the source and driving frames are cropped (default "auto": faces where found, else center). */
  crop?: CropChoice;
  faceIndex?: number;
  track?: TrackMode;
  detectEvery?: number;
  /** Paste the animated crop back into the source (default: when the source was cropped around a face or box). */
  pasteBack?: boolean;
  /** Driving keypoint smoothing strength (undefined: none). */
  smooth?: number;
  /** Prefix of notes on stderr (default "dime animate"). */
  command?: string;
  /** Sees each frame after it was written. */
  onFrame?: (frame: AnimatedFrame) => void;
}

export interface FileAnimationSummary {
  frames: number;
  width: number;
  height: number;
  /** ffmpeg's frame-rate fraction of the output. */
  fps: string;
  seconds: number;
  /** The driving frame relative motion started from. */
  bestFrame: number;
  /** Driving frames per batch (the job's, or the automatic choice). */
  batch: number;
  /** Set for a variable-rate driving clip: the frames in the output, each driving frame repeated or dropped to keep its time. */
  encodedFrames?: number;
}

/** Runs the job; outputs are checked for writability before any work, and written to temp names then renamed. */
export async function animateFiles(job: FileAnimation): Promise<FileAnimationSummary> {
  refuseOutputsOverInputs(
    [{ flag: "-o", path: job.out }, ...(job.visualizeOut ? [{ flag: "--visualize-out", path: job.visualizeOut }] : [])],
    [
      { flag: "--source", path: job.source },
      ...job.references.map((path) => ({ flag: "--ref", path })),
      { flag: "--driving", path: job.driving },
      ...checkpointInputs("--checkpoint", job.checkpoint),
      ...(job.config ? [{ flag: "--config", path: job.config }] : []),
    ],
  );
  checkWritable(job.out);
  if (job.visualizeOut) checkWritable(job.visualizeOut);
  const info = await probeMedia(job.driving);
  const loaded = loadModel(job.checkpoint, { config: job.config, device: job.device });
  const { size } = loaded;
  const audioFrom = job.audio && info.audio ? job.driving : undefined;
  if (job.audio && !info.audio)
    process.stderr.write(`${job.command ?? "dime animate"}: note: ${job.driving} has no audio track; the output is silent\n`);
  // A variable-rate clip is written at a constant rate with each frame kept at its time (docs/media.md).
  const timing = info.variableRate;
  const fps = timing
    ? outputRateFor(timing, info.kind === "video" ? info.nominalRate : undefined)
    : info.fps > 0
      ? info.fpsFraction
      : "25/1";

  const bar = frameProgress(info.frameCount);
  const note = (line: string) => process.stderr.write(`${job.command ?? "dime animate"}: note: ${line}\n`);
  const frames = animateFootage({
    model: loaded.model,
    size,
    source: job.source,
    references: job.references,
    driving: job.driving,
    drivingInfo: info,
    options: {
      crop: job.crop,
      faceIndex: job.faceIndex,
      track: job.track,
      detectEvery: job.detectEvery,
      pasteBack: job.pasteBack,
      smooth: job.smooth,
      rate: info.fps > 0 ? info.fps : 25,
      onTrack: (done) => bar.tracked(done),
      onNote: note,
      mode: job.mode,
      adaptScale: Boolean(job.adaptScale),
      findBestFrame: Boolean(job.findBestFrame),
      ode: job.ode ?? {},
      batch: job.batch,
      device: job.device,
      precision: job.precision,
      onSearch: (done) => bar.searched(done),
    },
  });
  const started = performance.now();
  // Writers open with the first frame, so an input that fails before it leaves nothing behind.
  let writer: VideoWriter | undefined;
  let sideWriter: VideoWriter | undefined;
  let bestFrame = 0;
  let batch = job.batch ?? 0;
  let [width, height] = [size.width, size.height];
  try {
    for await (const frame of frames) {
      [width, height] = [frame.output.width, frame.output.height];
      writer ??= new VideoWriter(job.out, { fps, width, height, audioFrom, timing });
      await writer.write(frame.output);
      if (job.visualizeOut) {
        // With a crop: source and driving at their own size with their boxes, the crop output, the pasted result.
        const cropped = frame.pasted || frame.drivingPicture !== undefined;
        const panels = cropped
          ? footagePanels(frame)
          : sideBySide([
              { image: frame.plan.source, keypoints: frame.plan.kpSource },
              { image: frame.driving, keypoints: frame.kpDriving },
              { image: frame.image, keypoints: frame.kpTarget },
            ]);
        sideWriter ??= new VideoWriter(job.visualizeOut, { fps, width: panels.width, height: panels.height, audioFrom, timing });
        await sideWriter.writeRgb24(panels.rgb);
      }
      bestFrame = frame.plan.initialFrame;
      batch = frame.plan.batch;
      job.onFrame?.(frame);
      bar.animated(frame.index + 1);
    }
    await writer?.close();
    await sideWriter?.close();
  } catch (error) {
    writer?.abort();
    sideWriter?.abort();
    throw error;
  } finally {
    loaded.model.dispose();
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    frames: writer?.frameCount ?? 0,
    width,
    height,
    fps,
    seconds,
    bestFrame,
    batch,
    ...(timing ? { encodedFrames: writer?.encodedFrames ?? 0 } : {}),
  };
}
