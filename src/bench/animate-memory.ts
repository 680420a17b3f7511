// The child process of `dime bench animate`'s memory figure: animates a test clip of N frames at
// 64 px with a random-weight synth-faces-64 model and prints its peak resident memory as JSON.
// Usage: node animate-memory.js FRAMES FOLDER
import { join } from "node:path";

import * as torch from "../torch/index.js";
import { DiME } from "../dime/dime.js";
import { tuneForInference } from "../dime/inference-tuning.js";
import { loadConfig } from "../dime/config/file.js";
import { animateClip, testClip } from "./animate.js";
import { packagedConfig } from "./model.js";

const frames = Number(process.argv[2]);
const folder = process.argv[3];
const clip = join(folder, `memory-${frames}.mp4`);
testClip(clip, frames, 64);
const config = loadConfig(packagedConfig("synth-faces-64.yaml"));
torch.manualSeed(0);
const model = tuneForInference(new DiME(config.model_params));
const written = await animateClip(model, config, clip, join(folder, `memory-${frames}-out.mp4`));
model.dispose();
// ru_maxrss is in KiB on Linux.
console.log(JSON.stringify({ frames: written, peakRssMiB: process.resourceUsage().maxRSS / 1024 }));
