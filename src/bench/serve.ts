// The web app's benchmark (`dime bench serve`), with the shipped demo model: live mode's latency
// (a frame sent over the WebSocket to its animated frame back, median and 95th percentile) and the
// animated frames per second, fed by a client in another process that plays the demo clip as a
// 30 fps webcam and sends frames as the page does; and the server's overhead on a file job (upload-free: the demo inputs,
// result and side-by-side view) against `dime animate --visualize` on the same inputs in this
// process, timed alternately.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import * as torch from "../torch/index.js";
import { readAllFrames } from "../media/video-read.js";
import { DEMO_ASSETS, DEMO_MODEL, ROOT } from "../serve/assets.js";
import { createServer } from "../serve/index.js";
import { listModels } from "../serve/models.js";
import { cpuSnapshot, machineInfo, otherProcessCores, type MachineInfo } from "./machine.js";

export interface ServeBenchOptions {
  threads: number;
  /** Seconds of live frames sent (default 10). */
  seconds: number;
  /** The fake webcam's rate (default 30). */
  cameraFps: number;
  /** Timed file jobs each way, after one untimed (default 3). */
  runs: number;
  /** `dime animate` as the CLI runs it, passed in by the CLI (bench sits below cli in the layers). */
  animateFiles: (job: AnimateJob) => Promise<unknown>;
}

/** The `dime animate` job the file benchmark compares the server against. */
export interface AnimateJob {
  checkpoint: string;
  source: string;
  references: string[];
  driving: string;
  out: string;
  visualizeOut: string;
  mode: "relative";
  batch: number;
  device: "cpu";
  crop: "center";
}

export interface ServeBenchResult {
  suite: "serve";
  date: string;
  machine: MachineInfo;
  method: string;
  threads: number;
  live: {
    /** Camera frames sent: one whenever the previous one had been answered. */
    sent: number;
    /** Camera frames not sent because the previous one was still being animated. */
    skipped: number;
    animated: number;
    /** Frames the server dropped because the model was busy (sent - animated). */
    dropped: number;
    framesPerSecond: number;
    latencyMedianMs: number;
    latencyP95Ms: number;
    /** Animated frames the latency figures are over (the first 10 are warm-up and left out). */
    latencyFrames: number;
    otherProcessCores?: number;
  };
  file: {
    frames: number;
    animateSeconds: number[];
    serverSeconds: number[];
    animateMedian: number;
    serverMedian: number;
    /** (server - animate) / animate, in percent. */
    overheadPercent: number;
    /**
     * The same with this process's CPU time (user + system; ffmpeg's processes are not in it), the
     * figure less moved by other processes on a busy machine, at 1 thread especially.
     */
    animateCpuSeconds: number[];
    serverCpuSeconds: number[];
    overheadCpuPercent: number;
    otherProcessCores?: number;
  };
}

/** NaN for no values (a machine too busy to animate more than the warm-up frames). */
const percentile = (xs: number[], p: number) =>
  xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] : NaN;
const median = (xs: number[]) => percentile(xs, 50);

/** The live client: plain JS in its own process (its own event loop, so its 30 fps clock is not held up by the model). */
const LIVE_CLIENT = `
const WebSocket = require("ws");
const { readFileSync } = require("fs");
const [url, model, framesPath, width, height, seconds, fps] = process.argv.slice(1);
const raw = readFileSync(framesPath);
const frameBytes = width * height * 4;
const count = raw.length / frameBytes;
const socket = new WebSocket(url);
const sentAt = new Map();
const latencies = [];
let sent = 0;
let skipped = 0;
let waiting = false;
socket.on("open", () => socket.send(JSON.stringify({ type: "start", model, source: "demo-source" })));
socket.on("message", (data, binary) => {
  if (!binary) {
    const message = JSON.parse(String(data));
    if (message.type === "error") { console.error(message.message); process.exit(1); }
    if (message.type === "ready") start();
    if (message.type === "dropped") waiting = false;
    return;
  }
  waiting = false;
  const at = sentAt.get(data.readUInt32LE(0));
  if (at !== undefined) latencies.push(performance.now() - at);
});
function start() {
  const began = performance.now();
  let camera = 0;
  const timer = setInterval(() => {
    const frame = camera++;
    const done = performance.now() - began >= seconds * 1000;
    if (done) {
      clearInterval(timer);
      setTimeout(() => { console.log(JSON.stringify({ sent, skipped, latencies, seconds: (performance.now() - began) / 1000 })); process.exit(0); }, 1000);
      return;
    }
    // As the page does: a camera frame goes out only once the previous one has been answered.
    if (waiting) { skipped++; return; }
    waiting = true;
    const i = sent++;
    const message = Buffer.alloc(5 + frameBytes);
    message.writeUInt32LE(i + 1, 0);
    message[4] = i === 0 ? 1 : 0;
    raw.copy(message, 5, (frame % count) * frameBytes, (frame % count + 1) * frameBytes);
    sentAt.set(i + 1, performance.now());
    socket.send(message);
  }, 1000 / fps);
}
`;

function runClient(args: string[]): Promise<{ sent: number; skipped: number; latencies: number[]; seconds: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", LIVE_CLIENT, ...args], { cwd: ROOT });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`live client failed: ${err.trim()}`))));
  });
}

export async function benchServe(options: ServeBenchOptions, progress: (line: string) => void): Promise<ServeBenchResult> {
  torch.setNumThreads(options.threads);
  const machine = machineInfo();
  const temp = mkdtempSync(join(tmpdir(), "dime-bench-serve-"));
  const path = (id: string) => DEMO_ASSETS.find((a) => a.id === id)!.path;
  const server = await createServer({ port: 0 });
  try {
    const base = await server.listen();
    const demo = listModels()[0];
    const { width, height } = demo.size;

    progress(`live: ${options.seconds} s of the demo clip at ${options.cameraFps} fps, ${options.threads} threads`);
    const frames = await readAllFrames(path("demo-driving"), { fit: { width, height, crop: "center" } });
    const rgba = Buffer.alloc(frames.length * width * height * 4);
    frames.forEach((f, i) => {
      const plane = width * height;
      for (let p = 0; p < plane; p++) {
        const at = (i * plane + p) * 4;
        rgba[at] = Math.round(f.data[p] * 255);
        rgba[at + 1] = Math.round(f.data[plane + p] * 255);
        rgba[at + 2] = Math.round(f.data[2 * plane + p] * 255);
        rgba[at + 3] = 255;
      }
    });
    const framesPath = join(temp, "frames.rgba");
    writeFileSync(framesPath, rgba);
    const liveStart = cpuSnapshot();
    const client = await runClient([
      `${base.replace("http", "ws")}api/live`,
      demo.id,
      framesPath,
      String(width),
      String(height),
      String(options.seconds),
      String(options.cameraFps),
    ]);
    const liveOthers = otherProcessCores(liveStart, cpuSnapshot());
    const timed = client.latencies.slice(10);

    progress(`file job: the demo clip (${frames.length} frames, 1 reference), ${options.runs} runs each way after one untimed`);
    const animateSeconds: number[] = [];
    const serverSeconds: number[] = [];
    const animateCpuSeconds: number[] = [];
    const serverCpuSeconds: number[] = [];
    const cpu = () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1e6;
    };
    const fileStart = cpuSnapshot();
    for (let run = 0; run <= options.runs; run++) {
      let began = performance.now();
      let cpuBegan = cpu();
      await options.animateFiles({
        checkpoint: DEMO_MODEL,
        source: path("demo-source"),
        references: [path("demo-reference")],
        driving: path("demo-driving"),
        out: join(temp, "out.mp4"),
        visualizeOut: join(temp, "out-visualize.mp4"),
        mode: "relative",
        batch: 8,
        device: "cpu",
        // The server animates the whole picture (no face crop yet): compare like with like.
        crop: "center",
      });
      if (run > 0) animateSeconds.push((performance.now() - began) / 1000);
      if (run > 0) animateCpuSeconds.push(cpu() - cpuBegan);
      began = performance.now();
      cpuBegan = cpu();
      const response = await fetch(`${base}api/jobs`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: demo.id, source: "demo-source", references: ["demo-reference"], driving: "demo-driving" }),
      });
      const job = (await response.json()) as { id: string };
      const events = await fetch(`${base}api/jobs/${job.id}/events`);
      const text = await events.text(); // the stream ends when the job has finished
      if (!text.includes('"state":"done"')) throw new Error(`the server's job did not finish: ${text.slice(-300)}`);
      if (run > 0) serverSeconds.push((performance.now() - began) / 1000);
      if (run > 0) serverCpuSeconds.push(cpu() - cpuBegan);
    }
    const fileOthers = otherProcessCores(fileStart, cpuSnapshot());
    const [a, s] = [median(animateSeconds), median(serverSeconds)];
    const [ac, sc] = [median(animateCpuSeconds), median(serverCpuSeconds)];
    return {
      suite: "serve",
      date: new Date().toISOString(),
      machine,
      method:
        "live: a client process plays the demo clip's frames (64x64 RGBA) as a 30 fps camera and, as the page does, sends one whenever the previous one has been answered; latency is send to animated frame received, over every animated frame but the first 10; dropped = sent - animated. " +
        "file: dime animate --visualize --crop center (animateFiles in this process) and a server job (POST /api/jobs to the end of its event stream) on the demo inputs with 1 reference, alternately, median of the timed runs, in wall time and in this process's CPU time",
      threads: options.threads,
      live: {
        sent: client.sent,
        skipped: client.skipped,
        animated: client.latencies.length,
        dropped: client.sent - client.latencies.length,
        framesPerSecond: client.latencies.length / client.seconds,
        latencyMedianMs: median(timed),
        latencyP95Ms: percentile(timed, 95),
        latencyFrames: timed.length,
        ...(liveOthers !== undefined ? { otherProcessCores: liveOthers } : {}),
      },
      file: {
        frames: frames.length,
        animateSeconds,
        serverSeconds,
        animateMedian: a,
        serverMedian: s,
        overheadPercent: ((s - a) / a) * 100,
        animateCpuSeconds,
        serverCpuSeconds,
        overheadCpuPercent: ((sc - ac) / ac) * 100,
        ...(fileOthers !== undefined ? { otherProcessCores: fileOthers } : {}),
      },
    };
  } finally {
    await server.close();
    rmSync(temp, { recursive: true, force: true });
  }
}

export function formatServeBench(r: ServeBenchResult): string {
  const others = (x?: number) => (x === undefined ? "" : ` (other processes: ${x.toFixed(2)} cores busy)`);
  return [
    `dime bench serve: ${r.machine.cpu}, ${r.machine.logicalCores} cores, ${r.threads} libtorch threads, demo model`,
    `  live: ${r.live.framesPerSecond.toFixed(1)} animated frames/s; ${r.live.sent} camera frames sent, ${r.live.skipped} skipped while the model worked, ${r.live.dropped} dropped by the server; latency median ${r.live.latencyMedianMs.toFixed(1)} ms, 95th percentile ${r.live.latencyP95Ms.toFixed(1)} ms over ${r.live.latencyFrames} frames${others(r.live.otherProcessCores)}`,
    `  file job, ${r.file.frames} frames: dime animate ${r.file.animateMedian.toFixed(2)} s, server ${r.file.serverMedian.toFixed(2)} s (median of ${r.file.animateSeconds.length}): overhead ${r.file.overheadPercent.toFixed(1)}%${others(r.file.otherProcessCores)}`,
    `  the same in this process's CPU time: dime animate ${median(r.file.animateCpuSeconds).toFixed(2)} s, server ${median(r.file.serverCpuSeconds).toFixed(2)} s: overhead ${r.file.overheadCpuPercent.toFixed(1)}%`,
  ].join("\n");
}
