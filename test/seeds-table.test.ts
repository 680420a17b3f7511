// experiments/seeds-table.mjs, the statistics behind the paper tables of experiments/paper.sh:
// mean and standard error over training seeds, differences paired by seed, the 0.7x floor line.
// Fed per-seed reports in dime eval's JSON layout, with values chosen so every figure is known.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";

const SCRIPT = fileURLToPath(new URL("../experiments/seeds-table.mjs", import.meta.url));
const out = mkdtempSync(join(tmpdir(), "dime-seeds-table-"));
after(() => rmSync(out, { recursive: true, force: true }));

/** One seed's reconstruction report: the named rows' L1 values. */
function report(l1: Record<string, number>) {
  return {
    dataset: { videos: 7 },
    columns: [{ key: "l1", heading: "L1", decimals: 4 }],
    rows: Object.entries(l1).map(([name, value]) => ({ name, metrics: { l1: { value } } })),
  };
}

function run(seeds: string) {
  const result = spawnSync(process.execPath, [SCRIPT, "table3", out, "100", seeds, "full,no-refine"], { encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(readFileSync(join(out, "table3.json"), "utf8"));
}

test("with no evaluated run the table says so instead of printing an empty one", () => {
  run("0 1 2");
  assert.match(readFileSync(join(out, "table3.md"), "utf8"), /No evaluated run in .* yet/);
});

test("mean and standard error over seeds, paired differences, and the floor line", () => {
  // full: 0.010, 0.020, 0.030 (mean 0.02, sd 0.01, SE 0.01/sqrt 3); no-refine = full + 0.004 + noise
  const full = [0.01, 0.02, 0.03];
  const noRefine = [0.015, 0.023, 0.036];
  for (const seed of [0, 1, 2]) {
    const body = report({ full: full[seed], "no-refine": noRefine[seed] });
    writeFileSync(join(out, `table3-reconstruction-s${seed}.json`), JSON.stringify(body));
  }
  writeFileSync(join(out, "floor.json"), JSON.stringify({ l1_source_frame: 0.04, videos: 7 }));
  const json = run("0 1 2");
  const l1 = json.tasks.reconstruction.rows.full.l1;
  assert.ok(Math.abs(l1.mean - 0.02) < 1e-12);
  assert.ok(Math.abs(l1.se - 0.01 / Math.sqrt(3)) < 1e-12);
  const md = readFileSync(join(out, "table3.md"), "utf8");
  assert.match(md, /on the 7 test videos/);
  assert.match(md, /\| full \| 0\.0200 ± 0\.0058 \|/);
  // differences 0.005, 0.003, 0.006: mean 0.0047, sd 0.00153, SE 0.00088
  assert.match(md, /\| no-refine - full \| 0\.0047 ± 0\.0009 \|/);
  // 0.7 x 0.04 = 0.028: full (0.020) is below it, no-refine (0.0247) too.
  assert.match(md, /0\.7x of it 0\.0280\. Every model's mean L1 is below 0\.7x the floor\./);
  writeFileSync(join(out, "floor.json"), JSON.stringify({ l1_source_frame: 0.02, videos: 7 }));
  run("0 1 2");
  assert.match(readFileSync(join(out, "table3.md"), "utf8"), /Not below 0\.7x the floor: full, no-refine\./);
});
