// The training side of the experiments: for each labelled run folder, the steps done, the training
// time the trainer recorded (seconds over every session, data loading included) and the mean loss
// of the last 100 logged steps. Writes BASE.md and BASE.json and prints the table.
// Usage: node experiments/runs-table.mjs BASE LABEL=RUN_DIR ...
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [base, ...pairs] = process.argv.slice(2);
const rows = pairs.map((pair) => {
  const cut = pair.indexOf("=");
  const label = pair.slice(0, cut),
    run = pair.slice(cut + 1);
  const dir = join(run, "checkpoints");
  const sidecars = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => /^step-\d+\.json$/.test(f))
        .sort()
    : [];
  if (sidecars.length === 0) return { label, run, steps: 0 };
  const last = JSON.parse(readFileSync(join(dir, sidecars.at(-1)), "utf8"));
  const steps = readFileSync(join(run, "log.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l))
    .filter((r) => r.event === "step" && r.step <= last.step)
    .slice(-100);
  const loss = steps.reduce((s, r) => s + r.loss.total, 0) / steps.length;
  return {
    label,
    run,
    steps: last.step,
    total_steps: last.total_steps,
    seconds: last.seconds,
    loss_last100: loss,
    seed: last.run.seed,
    threads: last.run.threads,
    batch_size: last.data.batch_size,
  };
});
const lines = [
  "| model | steps | batch | seed | training time | loss (mean of last 100 steps) |",
  "|---|---|---|---|---|---|",
  ...rows.map((r) =>
    r.steps === 0
      ? `| ${r.label} | not trained | | | | |`
      : `| ${r.label} | ${r.steps} / ${r.total_steps} | ${r.batch_size} | ${r.seed} | ${(r.seconds / 60).toFixed(1)} min | ${r.loss_last100.toFixed(3)} |`,
  ),
  "",
];
writeFileSync(`${base}.md`, lines.join("\n"));
writeFileSync(`${base}.json`, `${JSON.stringify(rows, null, 2)}\n`);
console.log(lines.join("\n"));
