// Writing a command's figures as JSON, atomically (temp name, then rename).
import { renameSync, writeFileSync } from "node:fs";

export function writeJson(path: string, value: unknown): void {
  writeFileSync(`${path}.tmp`, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
  console.log(`wrote ${path}`);
}
