// Per-video (per-pair) comparison of rows of `dime eval` JSON files: for each metric, on how many
// test videos row A beats row B and the mean per-video difference A - B with its standard error
// (over videos; one training seed each, so this is the evaluation's spread, not the training's).
// Usage: node experiments/paired.mjs OUT_BASE FILE.json:ROW_A:ROW_B[:TITLE] ...
import { readFileSync, writeFileSync } from "node:fs";

const LOWER = new Set(["l1", "lpips", "akd"]);
const [base, ...specs] = process.argv.slice(2);
const lines = [],
  out = [];
for (const spec of specs) {
  const [file, a, b, title] = spec.split(":");
  const json = JSON.parse(readFileSync(file, "utf8"));
  const row = (name) =>
    json.rows.find((r) => r.name === name) ??
    (() => {
      throw new Error(`${file}: no row '${name}'`);
    })();
  const [ra, rb] = [row(a), row(b)];
  lines.push(
    `### ${title ?? `${a} vs ${b}`} (${json.task}, ${file.split("/").at(-1)})`,
    "",
    "| metric | A better on | mean A − B per video | standard error |",
    "|---|---:|---:|---:|",
  );
  for (const metric of Object.keys(ra.parts[0].metrics)) {
    const diffs = ra.parts.map((p, i) => p.metrics[metric] - rb.parts[i].metrics[metric]).filter(Number.isFinite);
    const n = diffs.length,
      mean = diffs.reduce((s, d) => s + d, 0) / n;
    const se = Math.sqrt(diffs.reduce((s, d) => s + (d - mean) ** 2, 0) / (n - 1) / n);
    const wins = diffs.filter((d) => (LOWER.has(metric) ? d < 0 : d > 0)).length;
    out.push({ file, a, b, metric, n, wins, mean, se });
    lines.push(`| ${metric} | ${wins} / ${n} | ${mean.toFixed(4)} | ${se.toFixed(4)} |`);
  }
  lines.push("");
}
writeFileSync(`${base}.md`, lines.join("\n"));
writeFileSync(`${base}.json`, `${JSON.stringify(out, null, 2)}\n`);
console.log(lines.join("\n"));
