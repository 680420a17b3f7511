// `dime probe FILE...`: what dime sees in each image, video or frame folder, or the error it would give.
import type { Command } from "../command.js";
import { UsageError } from "../command.js";
import { defineFlags, parseFlags } from "../flags.js";
import { MediaError } from "../../media/errors.js";
import { describeMedia, mediaInfoJson } from "../../media/info.js";
import { probeMedia } from "../../media/probe.js";
import { probeFaces } from "../probe-faces.js";

const help = `Usage: dime probe [--json] FILE...
       dime probe --faces [--json] IMG...

Prints, for each image, video file or folder of numbered frames, what dime sees in it:
kind, size, fps, frame count, duration and audio; or the one-line error dime would give
when reading it. A video whose frames are not evenly spaced (most phone clips) is said to have
a variable frame rate, with its slowest and fastest rates; dime keeps each frame's time in its
outputs (docs/media.md). Exits 1 when any file cannot be read.

Options:
  --faces  list the faces found in each picture, largest first: the detector's box and score,
           and the square --crop face animates (--face-index N picks face N); exits 1 when a
           picture has no face
  --json   print one JSON object per file instead of a line of text`;

const FLAGS = defineFlags({ json: "bool", faces: "bool" });

export const probeCommand: Command = {
  name: "probe",
  summary: "show what dime sees in images, videos and frame folders",
  help,
  async run(argv) {
    const { positional: files, flags } = parseFlags(argv, FLAGS);
    const json = flags.json === true;
    const faces = flags.faces === true;
    if (files.length === 0) throw new UsageError("no files given. Usage: dime probe FILE...");
    if (faces) return (await probeFaces(files, json)) > 0 ? 1 : 0;
    let failed = 0;
    for (const file of files) {
      try {
        const info = await probeMedia(file);
        console.log(json ? JSON.stringify(mediaInfoJson(info)) : describeMedia(info));
      } catch (error) {
        if (!(error instanceof MediaError)) throw error;
        failed += 1;
        console.error(json ? JSON.stringify({ path: file, error: error.message, reason: error.reason }) : `dime probe: ${error.message}`);
      }
    }
    return failed > 0 ? 1 : 0;
  },
};
