// The file-to-file animation job behind `dime animate` and `dime demo`: read a checkpoint, a source
// picture, references and a driving video; write the animation (and optionally the side-by-side
// view) frame by frame as it comes; report what was written.
import type { Device, Precision } from "../torch/index.js";
import type { OdeSettings } from "../dime/motion_ode.js";
import type { AnimatedFrame, AnimationOptions } from "../infer/animate.js";
import { animateFootage } from "../infer/footage.js";
import { footageCrop, writeFootage, type FootageCrop, type WrittenFootage } from "../infer/footage-write.js";
import { loadModel } from "../infer/model.js";
import { probeMedia } from "../media/probe.js";
import { outputTiming } from "../media/timing.js";
import { checkWritable, frameProgress } from "./checks.js";
import { checkpointInputs, refuseOutputsOverInputs } from "./same-file.js";

/** A job; its crop choices (FootageCrop) default to "auto": faces where found, else center. */
export interface FileAnimation extends FootageCrop {
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
  const rate = outputTiming(info);

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
      ...footageCrop(job),
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
  let written: WrittenFootage;
  try {
    written = await writeFootage(frames, {
      video: job.out,
      sideBySide: job.visualizeOut,
      audioFrom,
      rate,
      onFrame: (frame) => {
        job.onFrame?.(frame);
        bar.animated(frame.index + 1);
      },
    });
  } finally {
    loaded.model.dispose();
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    frames: written.frames,
    width: written.width ?? size.width,
    height: written.height ?? size.height,
    fps: rate.fps,
    seconds,
    bestFrame: written.plan?.initialFrame ?? 0,
    batch: written.plan?.batch ?? job.batch ?? 0,
    ...(rate.timing ? { encodedFrames: written.encodedFrames ?? 0 } : {}),
  };
}
