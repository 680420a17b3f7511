// A head turn side by side: the shipped demo source and driving clip (assets/demo) animated by each
// checkpoint given, frames 0, 12, 24, ... in a contact sheet: the driving frames on top, then one row
// per checkpoint in the order given (the first cell of a row is the source, of the top row blank).
// Usage: node --import tsx experiments/head-turn.ts OUT.png CKPT... (DEVICE=cuda to run there)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { animateFiles } from "../src/cli/animate-files.js";
import { DEMO_DRIVING, DEMO_REFERENCE, DEMO_SOURCE } from "../src/cli/commands/demo.js";
import { findCheckpoint } from "../src/checkpoint/index.js";
import { encodeRgb24, writeEncoded } from "../src/media/image-write.js";
import { contactSheet, type SheetCell } from "../src/synth/contact-sheet.js";
import { imageToRgb24, type RgbImage } from "../src/media/image.js";
import type { Device } from "../src/torch/index.js";

const COLUMNS = 8;
const [out, ...checkpoints] = process.argv.slice(2);
if (!out || checkpoints.length === 0) {
  console.error("usage: node --import tsx experiments/head-turn.ts OUT.png CHECKPOINT...");
  process.exit(2);
}
const cell = (image: RgbImage): SheetCell => ({ rgb: imageToRgb24(image), width: image.width, height: image.height, landmarks: [] });
const scratch = mkdtempSync(join(tmpdir(), "dime-head-turn-"));
try {
  const rows: SheetCell[][] = [];
  let driving: SheetCell[] = [];
  let source: SheetCell | undefined;
  for (const [i, checkpoint] of checkpoints.entries()) {
    const frames: SheetCell[] = [];
    const drivingFrames: SheetCell[] = [];
    const refs = findCheckpoint(checkpoint).sidecar.config.model_params.switches.num_refs;
    await animateFiles({
      checkpoint,
      source: DEMO_SOURCE,
      references: refs > 0 ? [DEMO_REFERENCE] : [],
      driving: DEMO_DRIVING,
      out: join(scratch, `${i}.mp4`),
      mode: "relative",
      batch: 8,
      device: (process.env.DEVICE ?? "cpu") as Device,
      crop: "center",
      command: "head-turn",
      onFrame: (frame) => {
        source ??= cell(frame.plan.source);
        if (frame.index % 12 !== 0 || frames.length >= COLUMNS) return;
        frames.push(cell(frame.image));
        drivingFrames.push(cell(frame.driving));
      },
    });
    driving = drivingFrames;
    rows.push([source!, ...frames]);
    console.log(`row ${i + 2}: ${checkpoint}`);
  }
  const blank: SheetCell = { ...source!, rgb: new Uint8Array(source!.rgb.length).fill(32) };
  const sheet = contactSheet([[blank, ...driving], ...rows], 128);
  await writeEncoded(out, await encodeRgb24(sheet.rgb, sheet.width, sheet.height, "png"));
  console.log(`wrote ${out}: top row the driving frames 0, 12, ..., then one row per checkpoint`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
