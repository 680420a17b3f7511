// A small, strict command-line flag parser: unknown flags and bad values are errors naming the flag.
// A command declares its flags once (`defineFlags({...})`); the parsed values are typed from that
// declaration, so no command casts a flag.
import { UsageError } from "./command.js";

export type FlagKind = "string" | "int" | "number" | "bool" | "list";
export type FlagValue = string | number | boolean | string[];

/** A command's flags: name (without `--`) -> kind. */
export type FlagSpec = Readonly<Record<string, FlagKind>>;

/** The TypeScript type of a flag of kind K. */
export type FlagType<K extends FlagKind> = K extends "string"
  ? string
  : K extends "int" | "number"
    ? number
    : K extends "bool"
      ? boolean
      : string[];

/** The parsed flags of spec S: each one optional (absent when not given), typed by its kind. */
export type FlagsOf<S extends FlagSpec> = { -readonly [N in keyof S]?: FlagType<S[N]> };

export interface Parsed<S extends FlagSpec> {
  positional: string[];
  flags: FlagsOf<S>;
}

/** Declares a command's flags; only keeps the literal kinds so `parseFlags` can type the result. */
export function defineFlags<const S extends FlagSpec>(spec: S): S {
  return spec;
}

/**
 * Parses `--name value`, `--name=value` and boolean `--name`. "list" flags may repeat and collect
 * their values. Throws UsageError for unknown flags, missing values and malformed numbers.
 */
export function parseFlags<const S extends FlagSpec>(argv: string[], spec: S): Parsed<S> {
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
    const kind = Object.hasOwn(spec, name) ? spec[name] : undefined;
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
  // The loop above stored each value under its declared name with the kind's type.
  return { positional, flags: flags as FlagsOf<S> };
}
