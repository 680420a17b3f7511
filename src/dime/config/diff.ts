// The first key where two configs differ, for the errors that refuse to resume a run (or load a
// checkpoint) with another config than the one it was trained with.
import { dottedPath, type ConfigPath } from "./file.js";

export interface ConfigDifference {
  /** Dotted path of the first differing key, in the config's key order. */
  path: string;
  /** The value in the first config (JSON text). */
  first: string;
  /** The value in the second config (JSON text). */
  second: string;
}

/**
 * Walks `a` and `b` (parsed configs, or any of their sub-trees) in `a`'s key order and returns the
 * first leaf that differs, or undefined when they are equal. Lists compare whole. Paths listed in
 * `ignore` (dotted, from the root passed in `prefix`) are skipped.
 */
export function firstDifference(
  a: unknown,
  b: unknown,
  ignore: ReadonlySet<string> = new Set(),
  prefix: ConfigPath = [],
): ConfigDifference | undefined {
  const here = dottedPath(prefix);
  if (ignore.has(here)) return undefined;
  if (isMapping(a) && isMapping(b)) {
    const keys = [...Object.keys(a), ...Object.keys(b).filter((k) => !Object.hasOwn(a, k))];
    for (const key of keys) {
      const found = firstDifference(a[key], b[key], ignore, [...prefix, key]);
      if (found) return found;
    }
    return undefined;
  }
  const [first, second] = [JSON.stringify(a) ?? "nothing", JSON.stringify(b) ?? "nothing"];
  return first === second ? undefined : { path: here, first, second };
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
