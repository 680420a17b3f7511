// The paper-like table of a run: one row per checkpoint, one column per metric with the better
// direction (L1 ↓, PSNR ↑), as aligned text for the terminal and as markdown with the best value
// of each column in bold; unavailable metrics print as "unavailable", their reasons below.
import { METRICS, columnHeading, type MetricKey } from "./columns.js";
import type { MetricResult } from "./results.js";

export interface TableRow {
  name: string;
  metrics: Partial<Record<MetricKey, MetricResult>>;
}

/** A metric's cell: its value to the column's decimals, "inf", or "unavailable". */
export function formatMetric(key: MetricKey, result: MetricResult | undefined): string {
  const value = result?.value;
  if (value === null || value === undefined) return "unavailable";
  if (value === Infinity) return "inf";
  return value.toFixed(METRICS[key].decimals);
}

/** Indices of the rows holding a column's best value (ties all); none unless two rows have a value. */
export function bestRows(rows: readonly TableRow[], key: MetricKey): Set<number> {
  const values = rows.map((r) => r.metrics[key]?.value ?? null);
  const present = values.filter((v): v is number => v !== null && !Number.isNaN(v));
  if (present.length < 2) return new Set();
  const best = METRICS[key].better === "lower" ? Math.min(...present) : Math.max(...present);
  return new Set(values.flatMap((v, i) => (v === best ? [i] : [])));
}

/** "LPIPS: reason" for each column some row lacks, each reason once. */
export function unavailableNotes(rows: readonly TableRow[], columns: readonly MetricKey[]): string[] {
  const notes: string[] = [];
  for (const key of columns) {
    const reasons = new Set(rows.map((r) => r.metrics[key]?.unavailable).filter((r): r is string => r !== undefined));
    for (const reason of reasons) notes.push(`${METRICS[key].label} unavailable: ${reason}`);
  }
  return notes;
}

/** The table as aligned text: a heading line, a rule, one line per row, then the notes. */
export function textTable(rows: readonly TableRow[], columns: readonly MetricKey[]): string {
  const header = ["model", ...columns.map(columnHeading)];
  const body = rows.map((r) => [r.name, ...columns.map((key) => formatMetric(key, r.metrics[key]))]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((line) => line[c].length)));
  const line = (cells: string[]) => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line), ...unavailableNotes(rows, columns)].join("\n");
}

/** The table as markdown, best values bold, the notes as a list under it. */
export function markdownTable(rows: readonly TableRow[], columns: readonly MetricKey[]): string {
  const best = new Map(columns.map((key) => [key, bestRows(rows, key)]));
  const escapeCell = (s: string) => s.replace(/\|/g, "\\|");
  const lines = [
    `| model | ${columns.map(columnHeading).join(" | ")} |`,
    `|---|${columns.map(() => "---:").join("|")}|`,
    ...rows.map((r, i) => {
      const cells = columns.map((key) => {
        const cell = formatMetric(key, r.metrics[key]);
        return best.get(key)!.has(i) ? `**${cell}**` : cell;
      });
      return `| ${escapeCell(r.name)} | ${cells.join(" | ")} |`;
    }),
  ];
  const notes = unavailableNotes(rows, columns);
  return [...lines, ...(notes.length > 0 ? ["", ...notes.map((n) => `- ${escapeCell(n)}`)] : [])].join("\n");
}
