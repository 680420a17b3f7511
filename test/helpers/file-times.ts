// Wall and CPU time per test file for test/quick.ts (DIME_QUICK_TIMES=1): what each file costs the
// quick tier, the CPU of the child processes it waited for (ffmpeg, the CLI) included.
import { readFileSync } from "node:fs";

interface Clock {
  wall: number;
  cpu: number;
}

/** Seconds since an arbitrary start: wall, and CPU of this process and of its reaped children. */
export function clock(): Clock {
  const own = process.cpuUsage();
  // /proc/self/stat fields 16 and 17 (cutime, cstime) are in clock ticks, 100 a second on Linux.
  // The command name (field 2) may hold spaces, so count from the ")" that closes it.
  let children = 0;
  try {
    const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1]!.split(" ");
    children = (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    // not Linux: own CPU only
  }
  return { wall: performance.now() / 1000, cpu: (own.user + own.system) / 1e6 + children };
}

export class FileTimes {
  readonly #rows: { name: string; wall: number; cpu: number }[] = [];

  add(name: string, start: Clock, end: Clock): void {
    this.#rows.push({ name, wall: end.wall - start.wall, cpu: end.cpu - start.cpu });
  }

  /** A table, the costliest CPU first, with the totals. */
  table(): string {
    const rows = [...this.#rows].sort((a, b) => b.cpu - a.cpu);
    const line = (wall: number, cpu: number, name: string) => `${wall.toFixed(1).padStart(7)} ${cpu.toFixed(1).padStart(7)}  ${name}`;
    const total = rows.reduce((sum, r) => ({ wall: sum.wall + r.wall, cpu: sum.cpu + r.cpu }), { wall: 0, cpu: 0 });
    return ["wall s   CPU s  file", ...rows.map((r) => line(r.wall, r.cpu, r.name)), line(total.wall, total.cpu, "all files")].join("\n");
  }
}
