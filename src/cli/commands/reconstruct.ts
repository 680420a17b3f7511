// `dime reconstruct`: the paper's video reconstruction protocol on a dataset's test split
// (src/eval/reconstruction.ts), writing each reconstructed video and the per-video L1.
import { join } from "node:path";

import * as torch from "../../torch/index.js";
import { listVideos } from "../../data/layout.js";
import { reconstructVideo, referenceFrames } from "../../eval/reconstruction.js";
import { loadModel } from "../../infer/model.js";
import { probeMedia } from "../../media/probe.js";
import { outputTiming } from "../../media/timing.js";
import { VideoWriter } from "../../media/video-write.js";
import { writeJson } from "../json.js";
import {
  deviceOf,
  frameProgress,
  inRange,
  makeOutputFolder,
  odeFlags,
  precisionHelp,
  precisionOf,
  required,
  noArguments,
} from "../checks.js";
import { UsageError, type Command } from "../command.js";
import { defineFlags, parseFlags } from "../flags.js";
import { applyThreads, threadsHelp } from "../threads.js";
import { withInterrupts } from "../interrupt.js";
import { checkpointInputs, datasetInputs, refuseOutputsOverInputs } from "../same-file.js";

const HELP = `Usage: dime reconstruct --checkpoint CKPT --data DIR [options]

Video reconstruction, the paper's first test (section 4.1, FOMM's protocol): every video of
DIR/test animates its own first frame. The source is frame 0, the references are --refs other
frames of the same video drawn with --seed, and every frame drives with its own keypoints
(absolute motion). For each video OUT/NAME.mp4 holds the reconstruction; OUT/reconstruction.json
and the table printed at the end give each video's L1 (mean absolute difference from the real
frames, pixels in [0, 1]) beside the L1 of the trivial answer "every frame = the source frame".
For every metric of the paper, use dime eval.

  --checkpoint CKPT   a checkpoint of dime train, or a run folder for its latest, or a PyTorch
                      checkpoint of FOMM's (.pth, .pth.tar) with --config (docs/fomm.md)
  --data DIR          a dataset folder with test/ (frame folders or video files)
  --refs N            reference frames per video (default: the checkpoint's num_refs)
  --seed S            seeds the choice of reference frames (default 0)
  --out DIR           where the videos and reconstruction.json go (default: reconstruction)
  --split NAME        test (default) or train
  --limit N           only the first N videos (by name)
  --no-videos         write only reconstruction.json (faster)
  --config FILE       use this config with the checkpoint (switches.ode may differ); needed
                      with a .pth/.pth.tar (configs/fomm/*.yaml)
  --ode-steps N       MotionODE steps (default: the config's)
  --ode-method M      euler | midpoint | rk4 (default: the config's)
  --batch N           frames per batch (default 8)
  --device D          cpu (default), cuda or cuda:N
${threadsHelp(22)}
${precisionHelp(22)}`;

const FLAGS = defineFlags({
  checkpoint: "string",
  data: "string",
  refs: "int",
  seed: "int",
  out: "string",
  split: "string",
  limit: "int",
  "no-videos": "bool",
  config: "string",
  "ode-steps": "int",
  "ode-method": "string",
  batch: "int",
  device: "string",
  threads: "int",
  precision: "string",
});

export interface VideoResult {
  name: string;
  frames: number;
  /** The reference frames drawn. */
  references: number[];
  /** Mean absolute difference of the reconstruction from the real frames. */
  l1: number;
  /** The same for "every frame = the source frame". */
  l1Source: number;
}

/** The mean of one field over videos, each weighted by its frame count. */
function frameMean(results: VideoResult[], key: "l1" | "l1Source"): number {
  const frames = results.reduce((n, r) => n + r.frames, 0);
  return results.reduce((sum, r) => sum + r[key] * r.frames, 0) / frames;
}

export const reconstructCommand: Command = {
  name: "reconstruct",
  summary: "reconstruct the test videos (the paper's protocol): videos and per-video L1",
  help: HELP,
  async run(argv) {
    const { positional, flags } = parseFlags(argv, FLAGS);
    noArguments(positional, "reconstruct");
    const checkpoint = required(flags, "checkpoint", "CKPT", "reconstruct");
    const data = required(flags, "data", "DIR", "reconstruct");
    const out = flags.out ?? "reconstruction";
    const split = flags.split ?? "test";
    if (split !== "test" && split !== "train") throw new UsageError(`--split must be test or train, got '${split}'`);
    const refsFlag = inRange(flags, "refs", 0, 64);
    const limit = inRange(flags, "limit", 1, 1e9);
    const batch = inRange(flags, "batch", 1, 1024) ?? 8;
    const ode = odeFlags(flags);
    const seed = flags.seed ?? 0;
    const device = deviceOf(flags.device);
    applyThreads(flags);
    const precision = precisionOf(flags.precision, device, "reconstruct");
    const writeVideos = !flags["no-videos"];

    refuseOutputsOverInputs(
      [{ flag: "--out", path: out }],
      [
        ...datasetInputs("--data", data),
        ...checkpointInputs("--checkpoint", checkpoint),
        ...(flags.config ? [{ flag: "--config", path: flags.config as string }] : []),
      ],
    );
    const videos = (await listVideos(data, split)).slice(0, limit);
    const loaded = loadModel(checkpoint, { config: flags.config, device });
    const refs = refsFlag ?? loaded.config.model_params.switches.num_refs;
    makeOutputFolder(out);

    const total = videos.reduce((n, v) => n + v.frameCount, 0);
    const bar = frameProgress(total);
    const started = performance.now();
    const results: VideoResult[] = [];
    let done = 0;
    const kept = () =>
      `${results.length} finished video${results.length === 1 ? "" : "s"}${writeVideos && results.length > 0 ? ` kept in ${out}` : ""}; reconstruction.json not written`;
    await withInterrupts({ command: "dime reconstruct", kept }, async () => {
      try {
        for (const video of videos) {
          const info = video.kind === "file" ? await probeMedia(video.path) : undefined; // frame folders carry no rate
          // A variable-rate video keeps each frame at its time (docs/media.md).
          const { fps, timing } = info ? outputTiming(info) : { fps: "25/1", timing: undefined };
          const writer = writeVideos ? new VideoWriter(join(out, `${video.name}.mp4`), { fps, ...loaded.size, timing }) : undefined;
          let [l1, l1Source, frames] = [0, 0, 0];
          try {
            for await (const part of reconstructVideo(loaded.model, video, loaded.size, { refs, seed, batch, device, ode, precision })) {
              const [err, errSource, pixels] = torch.tidy(
                () =>
                  [
                    part.prediction.sub(part.driving).abs().sum().item(),
                    part.source.sub(part.driving).abs().sum().item(),
                    part.prediction.clamp(0, 1).cpu().contiguous().data<"float32">(),
                  ] as const,
              );
              const count = part.driving.size(0);
              const plane = 3 * loaded.size.width * loaded.size.height;
              for (let b = 0; b < count && writer; b++)
                await writer.write({ data: pixels.subarray(b * plane, (b + 1) * plane), ...loaded.size });
              [l1, l1Source, frames] = [l1 + err / plane, l1Source + errSource / plane, frames + count];
              done += count;
              bar.animated(done, video.name);
            }
            await writer?.close();
          } catch (error) {
            writer?.abort();
            throw error;
          }
          results.push({
            name: video.name,
            frames,
            references: referenceFrames(video.name, video.frameCount, refs, seed),
            l1: l1 / frames,
            l1Source: l1Source / frames,
          });
        }
      } finally {
        loaded.model.dispose();
      }
    });
    const seconds = (performance.now() - started) / 1000;
    const summary = { l1: frameMean(results, "l1"), l1Source: frameMean(results, "l1Source") };
    writeJson(join(out, "reconstruction.json"), {
      checkpoint: loaded.path,
      step: loaded.step,
      data,
      split,
      refs,
      seed,
      frames: done,
      seconds,
      mean: summary,
      videos: results,
    });
    const name = (s: string) => s.padEnd(Math.max(8, ...results.map((r) => r.name.length)));
    console.log(`${name("video")}  frames  L1      L1 (source frame)`);
    for (const r of results) console.log(`${name(r.name)}  ${String(r.frames).padStart(6)}  ${r.l1.toFixed(4)}  ${r.l1Source.toFixed(4)}`);
    console.log(`${name("all")}  ${String(done).padStart(6)}  ${summary.l1.toFixed(4)}  ${summary.l1Source.toFixed(4)}`);
    console.log(
      `${out}: ${results.length} videos, ${done} frames in ${seconds.toFixed(1)} s (${(done / seconds).toFixed(1)} frames/s), ${refs} reference${refs === 1 ? "" : "s"} per video, seed ${seed}; ` +
        `L1 ${summary.l1.toFixed(4)} vs ${summary.l1Source.toFixed(4)} for the source frame (${(summary.l1 / summary.l1Source).toFixed(2)}x)`,
    );
    return 0;
  },
};
