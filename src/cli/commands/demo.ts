// `dime demo`: the main job on what ships with dime, nothing to download: the small model trained on
// synthetic faces (models/demo/), a synthetic face with one more view of it, and a synthetic
// driving clip of another face (assets/demo/). Writes the animation, the side-by-side view and a
// contact sheet of frames.
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

import { sideBySide } from "../../infer/visualize.js";
import type { AnimatedFrame } from "../../infer/animate.js";
import type { RgbImage } from "../../media/image.js";
import { encodeRgb24, writeEncoded } from "../../media/image-write.js";
import { contactSheet, type SheetCell } from "../../synth/contact-sheet.js";
import { animateFiles } from "../animate-files.js";
import { deviceOf, makeOutputFolder, odeFlags, noArguments } from "../checks.js";
import type { Command } from "../command.js";
import { defineFlags, parseFlags } from "../flags.js";
import { applyThreads, threadsHelp } from "../threads.js";
import { withInterrupts } from "../interrupt.js";

/** The package's root folder (this file is src/cli/commands/demo.ts or dist/cli/commands/demo.js). */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../../..");
export const DEMO_CHECKPOINT = join(ROOT, "models/demo");
export const DEMO_SOURCE = join(ROOT, "assets/demo/source.png");
export const DEMO_REFERENCE = join(ROOT, "assets/demo/reference.png");
export const DEMO_DRIVING = join(ROOT, "assets/demo/driving.mp4");

/** Frames shown in the contact sheet. */
const SHEET_COLUMNS = 8;

const HELP = `Usage: dime demo [--out DIR] [options]

Animates a shipped synthetic face with a shipped synthetic driving clip of another face, using
the small model shipped with dime (trained on dime synth --kind faces at 64x64 with
configs/synth-faces-64.yaml; the README says how). Nothing is downloaded. Writes:
  DIR/demo.mp4            the animation (the driving clip's 96 frames at 25 fps, 64x64)
  DIR/demo-visualize.mp4  source | driving | output side by side, keypoints drawn
  DIR/demo-frames.png     a contact sheet: the source, then every 12th frame, driving above
                          output, scaled up to be looked at

  --out DIR          output folder (default: out; made if missing)
  --one-shot         leave out the second view of the face (assets/demo/reference.png)
  --ode-steps N      MotionODE steps (default: the model's 2)
  --ode-method M     euler | midpoint | rk4 (default: the model's midpoint)
  --device D         cpu (default), cuda or cuda:N
${threadsHelp(21)}

To animate your own picture, use dime animate with a checkpoint trained on pictures like it.`;

const FLAGS = defineFlags({
  out: "string",
  "one-shot": "bool",
  "ode-steps": "int",
  "ode-method": "string",
  device: "string",
  threads: "int",
});

function cell(image: RgbImage, keypoints?: ArrayLike<number>): SheetCell {
  const pic = sideBySide([{ image, keypoints }]);
  return { rgb: pic.rgb, width: pic.width, height: pic.height, landmarks: [] };
}

export const demoCommand: Command = {
  name: "demo",
  summary: "animate a shipped synthetic face with the shipped model (no download): out/demo.mp4",
  help: HELP,
  async run(argv) {
    const { positional, flags } = parseFlags(argv, FLAGS);
    noArguments(positional, "demo");
    const out = flags.out ?? "out";
    const device = deviceOf(flags.device);
    applyThreads(flags);
    const ode = odeFlags(flags);
    makeOutputFolder(out);
    const [video, visualizeOut, sheetOut] = ["demo.mp4", "demo-visualize.mp4", "demo-frames.png"].map((name) => join(out, name));

    const driving: SheetCell[] = [];
    const output: SheetCell[] = [];
    let source: SheetCell | undefined;
    const keep = (frame: AnimatedFrame) => {
      source ??= cell(frame.plan.source, frame.plan.kpSource);
      if (frame.index % 12 !== 0 || driving.length >= SHEET_COLUMNS) return;
      driving.push(cell(frame.driving, frame.kpDriving));
      output.push(cell(frame.image, frame.kpTarget));
    };
    const references = flags["one-shot"] ? [] : [DEMO_REFERENCE];
    const kept = () => `${out}: finished files kept, nothing half written`;
    const summary = await withInterrupts({ command: "dime demo", kept }, () =>
      animateFiles({
        checkpoint: DEMO_CHECKPOINT,
        source: DEMO_SOURCE,
        references,
        driving: DEMO_DRIVING,
        out: video,
        visualizeOut,
        mode: "relative",
        ode,
        device,
        // The demo's pictures are synthetic faces framed like its training data (the face detector, made
        // for real faces, may or may not find them): they are used whole, as before.
        crop: "center",
        command: "dime demo",
        onFrame: keep,
      }),
    );
    const blank: SheetCell = { ...source!, rgb: new Uint8Array(source!.rgb.length).fill(32) };
    const sheet = contactSheet(
      [
        [source!, ...driving],
        [blank, ...output],
      ],
      128,
    );
    await writeEncoded(sheetOut, await encodeRgb24(sheet.rgb, sheet.width, sheet.height, "png"));

    const shown = (path: string) => relative(process.cwd(), path) || path;
    console.log(
      `dime demo: animated ${shown(DEMO_SOURCE)}${references.length ? ` (and one more view, ${shown(DEMO_REFERENCE)})` : ""} with the motion of ${shown(DEMO_DRIVING)} ` +
        `using the shipped model ${shown(DEMO_CHECKPOINT)}: ${summary.frames} frames ${summary.width}x${summary.height} in ${summary.seconds.toFixed(1)} s`,
    );
    console.log(
      `  ${video}             the animation\n  ${visualizeOut}   source | driving | output, keypoints drawn\n  ${sheetOut}      frames 0, 12, 24, ...: driving (top), output (bottom)`,
    );
    return 0;
  },
};
