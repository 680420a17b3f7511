// Merges `dime bench model --json` files into one JSON object (by file name) and prints one line
// per figure: frames per second for frames, ms per step and samples per second for training.
//   node scripts/bench-summary.mjs OUT.json FILE.json ...
import { readFileSync, writeFileSync } from "node:fs";
import { basename } from "node:path";

const [to, ...files] = process.argv.slice(2);
const merged = {};
for (const file of files) {
  try {
    merged[basename(file)] = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    console.log(`${basename(file)}: unreadable (${error.message})`);
  }
}
writeFileSync(to, JSON.stringify(merged, null, 1));
for (const [name, result] of Object.entries(merged)) {
  for (const f of result.figures ?? []) {
    const where = `${name.replace(/\.json$/, "")}: ${f.config} ${f.setting} ${f.size} px, ${f.device}`;
    if (f.kind === "frame")
      console.log(`${where}, batch ${f.batch}: ${f.framesPerSecond.toFixed(1)} frames/s (median ${f.medianMs.toFixed(2)} ms per call)`);
    else if (f.kind === "train")
      console.log(`${where}, training step batch ${f.batch}, ${f.loss} loss: ${f.medianMs.toFixed(1)} ms (${f.framesPerSecond.toFixed(1)} samples/s)`);
    else console.log(`${where}, per job (prepare): ${f.medianMs.toFixed(2)} ms`);
  }
}
