// The fixtures beside the repository (../shared/golden, ../shared/data; never copied into it): where
// they are, and what a test does without them: skip with the reason, or fail under
// DIME_REQUIRE_FIXTURES=1 (set by .ci/run), so a CI run without them cannot pass by skipping.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const SHARED_DIR = fileURLToPath(new URL("../../../shared", import.meta.url));

/** The FOMM golden files (DIME_GOLDEN overrides ../shared/golden). */
export const GOLDEN_DIR = process.env.DIME_GOLDEN ?? join(SHARED_DIR, "golden");

/** Real-world images, videos, test data and weights (DIME_DATA overrides ../shared/data). */
export const DATA_DIR = process.env.DIME_DATA ?? join(SHARED_DIR, "data");

/**
 * false when `path` exists, else the reason to skip (for node:test's `skip`). Under
 * DIME_REQUIRE_FIXTURES=1 a missing fixture throws instead, which fails the test file.
 */
export function fixtureSkip(path: string, what: string, variable: "DIME_GOLDEN" | "DIME_DATA"): false | string {
  if (existsSync(path)) return false;
  const reason = `${what} not found at ${path} (put ../shared beside the repository or set ${variable})`;
  if (process.env.DIME_REQUIRE_FIXTURES === "1") throw new Error(`DIME_REQUIRE_FIXTURES=1: ${reason}`);
  return reason;
}
