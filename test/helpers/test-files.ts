// The test files: what `npm test` runs one process each (the shell's `test/*.test.ts`) and what
// test/quick.ts imports into one process, from this one list, so a new file cannot be left out.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The folder of the test files (test/). */
export const TEST_DIR = fileURLToPath(new URL("..", import.meta.url));

/** The absolute paths of `dir`'s `*.test.ts` files (not its subfolders), sorted as the shell sorts a glob in the C locale. */
export function testFiles(dir = TEST_DIR): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".test.ts"))
    .map((entry) => entry.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((name) => join(dir, name));
}
