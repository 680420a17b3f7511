// Runs the `dime` command as a user does (bin/dime.js on the compiled dist/, which `npm test` builds
// first): about a second less per spawn than compiling the sources through tsx each time.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams, type SpawnSyncReturns } from "node:child_process";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const BIN = fileURLToPath(new URL("../../bin/dime.js", import.meta.url));

/** Runs `dime ARGS` from the repository root and waits for it. */
export function runDime(args: string[], timeout = 120_000): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [BIN, ...args], { cwd: repo, encoding: "utf8", timeout });
}

/** Starts `dime ARGS` from the repository root without waiting. */
export function startDime(args: string[]): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [BIN, ...args], { cwd: repo });
}
