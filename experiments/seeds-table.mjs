// The tables of experiments/paper.sh: for each model (row label) and metric, the mean over training
// seeds and its standard error (sample standard deviation / sqrt(seeds)), from the per-seed dime
// eval reports OUT/TABLE-TASK-sSEED.json; differences to a reference row paired by seed (the same
// seed's runs share data order and initialisation), with their standard errors; the source-frame
// floor (OUT/floor.json) and which models are below 0.7x of it. Writes OUT/TABLE.md and .json.
// Usage: node experiments/seeds-table.mjs table3|table4|adversarial OUT STEPS "SEEDS" "LABEL,..."
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [table, out, steps, seedList, labelList] = process.argv.slice(2);
const seeds = seedList.split(/\s+/).filter(Boolean);
const labels = labelList.split(",");
const tasks = ["reconstruction", "animation"];

/** mean and standard error of the finite values (SE null with fewer than two). */
function stats(values) {
  const xs = values.filter((x) => typeof x === "number" && Number.isFinite(x));
  if (xs.length === 0) return { mean: null, se: null, n: 0 };
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (xs.length < 2) return { mean, se: null, n: 1 };
  const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1);
  return { mean, se: Math.sqrt(variance / xs.length), n: xs.length };
}

const fmt = (s, decimals) =>
  s.mean === null ? "n/a" : `${s.mean.toFixed(decimals)}${s.se === null ? "" : ` ± ${s.se.toFixed(decimals)}`}`;

/** The reference row each row is compared with (paired by seed), or undefined. */
function referenceOf(label) {
  if (table === "table3") return label === "full" ? undefined : "full";
  if (table === "table4") return label === labels[0] ? undefined : labels[0];
  return label.endsWith("-adv") ? label.slice(0, -4) : undefined; // adversarial: on vs off
}

const floor = existsSync(join(out, "floor.json")) ? JSON.parse(readFileSync(join(out, "floor.json"), "utf8")) : undefined;
const md = [];
const json = { table, steps: Number(steps), seeds, floor, tasks: {} };
const runNotes = [];
let testVideos;
for (const task of tasks) {
  const reports = seeds
    .map((seed) => ({ seed, path: join(out, `${table}-${task}-s${seed}.json`) }))
    .filter(({ path }) => existsSync(path))
    .map(({ seed, path }) => ({ seed, report: JSON.parse(readFileSync(path, "utf8")) }));
  if (reports.length === 0) continue;
  for (const { seed } of reports) {
    const note = join(out, `${table}-${task}-s${seed}.run.md`);
    if (existsSync(note)) runNotes.push(`- seed ${seed}: ${readFileSync(note, "utf8").trim()}`);
  }
  const columns = reports[0].report.columns;
  testVideos = String(reports[0].report.dataset.videos);
  /** value[label][metric] = per-seed values, in `reports` order (null where missing). */
  const value = (label, key) =>
    reports.map(({ report }) => {
      const row = report.rows.find((r) => r.name === label);
      return row?.metrics[key]?.value ?? null;
    });
  const rows = labels.filter((label) => reports.some(({ report }) => report.rows.some((r) => r.name === label)));
  const taskJson = { seeds: reports.map((r) => r.seed), rows: {} };
  md.push(`## ${task[0].toUpperCase()}${task.slice(1)}`, "");
  md.push(`Mean ± standard error over ${reports.length} training seed(s) (${reports.map((r) => r.seed).join(", ")}).`, "");
  md.push(`| model | ${columns.map((c) => c.heading).join(" | ")} |`, `|---|${columns.map(() => "---:").join("|")}|`);
  for (const label of rows) {
    const cells = columns.map((c) => fmt(stats(value(label, c.key)), c.decimals));
    md.push(`| ${label} | ${cells.join(" | ")} |`);
    taskJson.rows[label] = Object.fromEntries(columns.map((c) => [c.key, { ...stats(value(label, c.key)), perSeed: value(label, c.key) }]));
  }
  md.push("");
  const paired = rows.filter((label) => referenceOf(label) && rows.includes(referenceOf(label)));
  if (paired.length > 0) {
    md.push(
      `Differences, paired by seed (row minus its reference; a difference is clear when it is more than about twice its standard error):`,
      "",
      `| model - reference | ${columns.map((c) => c.heading).join(" | ")} |`,
      `|---|${columns.map(() => "---:").join("|")}|`,
    );
    for (const label of paired) {
      const ref = referenceOf(label);
      const cells = columns.map((c) => {
        const [a, b] = [value(label, c.key), value(ref, c.key)];
        const d = a.map((x, i) => (x === null || b[i] === null ? null : x - b[i]));
        return fmt(stats(d), c.decimals);
      });
      md.push(`| ${label} - ${ref} | ${cells.join(" | ")} |`);
    }
    md.push("");
  }
  if (task === "reconstruction" && floor) {
    const limit = 0.7 * floor.l1_source_frame;
    const above = rows.filter((label) => {
      const s = stats(value(label, "l1"));
      return !(s.mean !== null && s.mean < limit);
    });
    md.push(
      `Source-frame floor (every frame = the source frame, dime reconstruct): L1 ${floor.l1_source_frame.toFixed(4)}; 0.7x of it ${limit.toFixed(4)}. ` +
        (above.length === 0 ? "Every model's mean L1 is below 0.7x the floor." : `Not below 0.7x the floor: ${above.join(", ")}.`),
      "",
    );
  }
  json.tasks[task] = taskJson;
}
if (md.length === 0)
  md.push(`No evaluated run in ${out} yet: train with experiments/paper.sh train, or set PAPER_RUNS to packed runs.`, "");
const training = join(out, "training.run.md");
const header = [
  `# ${{ table3: "Table 3 (ablations)", table4: "Table 4 (references at inference)", adversarial: "With and without FOMM's adversarial terms" }[table]}, synth-faces 64 px`,
  "",
  `Written by experiments/paper.sh ${table} (experiments/seeds-table.mjs). Budget per model: ${steps} steps, batch 8, ` +
    `learning rate x0.1 at 60% and 90%, configs in experiments/configs/paper/. Evaluation seed 0 on ${testVideos ? `the ${testVideos}` : "the"} test videos.`,
  "",
  ...(existsSync(training)
    ? [
        "Training wall times (every invocation):",
        "",
        ...readFileSync(training, "utf8")
          .trim()
          .split("\n")
          .map((l) => `- ${l}`),
        "",
      ]
    : []),
  ...(runNotes.length > 0 ? ["Evaluation wall times:", "", ...runNotes, ""] : []),
];
const text = [...header, ...md].join("\n");
writeFileSync(join(out, `${table}.md`), text);
writeFileSync(join(out, `${table}.json`), `${JSON.stringify(json, null, 1)}\n`);
console.log(text);
