// The layer of each folder of src/ (written out in docs/layers.md) and the check that relative
// imports only go down: a folder may import itself and folders of strictly lower layers.
import { readdirSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";

/** Folder of src/ -> its layer; higher layers may import lower ones, never the reverse. */
export const SRC_LAYERS: ReadonlyMap<string, number> = new Map([
  ["util", 0], // prng, drawing, colour, progress: plain TypeScript, no tensors
  ["torch", 1], // the only door to the addon
  ["nn", 2],
  ["ode", 2],
  ["optim", 2],
  ["io", 2], // io: safetensors, torch pickles, temporary files
  ["media", 3], // images and video; writes through io's temporary files
  ["faceapi", 4],
  ["synth", 4], // face-api's nets (issue 23); the synthetic benchmark's renderer
  ["dime", 5],
  ["data", 5], // the model; datasets and batches
  ["checkpoint", 6],
  ["face", 6], // saved runs; face detection, crop, paste-back (issue 23)
  ["infer", 7],
  ["train", 7],
  ["eval", 8], // uses infer to animate what it scores
  ["serve", 9], // the web app (issue 17)
  ["bench", 10], // benchmarks, the web app's among them
  ["cli", 11],
]);

// import/export ... from "./x", import "./x" (side effects only), import("./x").
const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s+"(\.[^"]+)"|(?:^|\n)\s*import\s+"(\.[^"]+)"|\bimport\(\s*"(\.[^"]+)"\s*\)/g;

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

/**
 * One line per relative import that goes up or sideways ("src/torch/x.ts: torch (layer 1) imports
 * dime (layer 4)"); files directly under src/ (index.ts) are the top and are not checked.
 */
export function layerViolations(src: string, read: (file: string) => string, files = tsFiles(src)): string[] {
  const folderOf = (file: string) => relative(src, file).split(sep)[0];
  const out: string[] = [];
  for (const file of files) {
    if (dirname(file) === src) continue;
    const from = folderOf(file);
    const fromLayer = SRC_LAYERS.get(from);
    for (const m of read(file).matchAll(IMPORT)) {
      const target = resolve(dirname(file), m[1] ?? m[2] ?? m[3]);
      if (relative(src, target).startsWith("..")) continue;
      const to = folderOf(target);
      if (to === from || dirname(target) === src) continue;
      const toLayer = SRC_LAYERS.get(to);
      if (fromLayer === undefined || toLayer === undefined || toLayer >= fromLayer) {
        out.push(
          `${relative(dirname(src), file).split(sep).join("/")}: ${from} (layer ${fromLayer ?? "?"}) imports ${to} (layer ${toLayer ?? "?"})`,
        );
      }
    }
  }
  return out;
}
