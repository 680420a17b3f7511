// A small, strict command-line flag parser: unknown flags and bad values are errors naming the flag.
import { UsageError } from "./command.js";

export type FlagKind = "string" | "int" | "number" | "bool" | "list";
export type FlagValue = string | number | boolean | string[];

export interface Parsed {
  positional: string[];
  flags: Record<string, FlagValue | undefined>;
}

/**
 * Parses `--name value`, `--name=value` and boolean `--name`. "list" flags may repeat and collect
 * their values. Throws UsageError for unknown flags, missing values and malformed numbers.
 */
export function parseFlags(argv: string[], spec: Record<string, FlagKind>): Parsed {
  const positional: string[] = [];
  const flags: Record<string, FlagValue | undefined> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--")) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const kind = spec[name];
    if (kind === undefined) throw new UsageError(`unknown flag --${name} (see --help)`);
    if (kind === "bool") {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      flags[name] = true;
      continue;
    }
    const raw = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (raw === undefined) throw new UsageError(`--${name} needs a value`);
    if (kind === "list") {
      const list = (flags[name] as string[] | undefined) ?? [];
      list.push(raw);
      flags[name] = list;
    } else if (kind === "int" || kind === "number") {
      const value = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(value) || (kind === "int" && !Number.isInteger(value))) {
        throw new UsageError(`--${name}: expected ${kind === "int" ? "an integer" : "a number"}, got '${raw}'`);
      }
      flags[name] = value;
    } else {
      flags[name] = raw;
    }
  }
  return { positional, flags };
}
