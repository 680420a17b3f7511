// Writing a command's figures as JSON, atomically (temp name, fsync, checked, rename).
import { writeTextAtomic } from "../io/atomic-file.js";

export function writeJson(path: string, value: unknown): void {
  writeTextAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
  console.log(`wrote ${path}`);
}
