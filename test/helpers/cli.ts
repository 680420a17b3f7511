// Runs the `dime` command as a user does (bin/dime.js on the compiled dist/, which `npm test` builds
// first): about a second less per spawn than compiling the sources through tsx each time. The
// quick tier runs no CLI round trip and so does not build dist/: there a call is an error.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams, type SpawnSyncReturns } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { QUICK } from "./tier.js";

const repo = fileURLToPath(new URL("../..", import.meta.url));
export const BIN = fileURLToPath(new URL("../../bin/dime.js", import.meta.url));
/** The flags bin/dime.js's first line gives node (`#!/usr/bin/env -S node FLAGS`), so that a test's dime runs as the user's. */
export const BIN_NODE_FLAGS = readFileSync(BIN, "utf8").split("\n")[0].split(/\s+/).slice(3);

function refuseInQuickTier(args: string[]): void {
  if (QUICK) throw new Error(`dime ${args.join(" ")}: a CLI round trip, and the quick tier (no dist/ build) runs none: tag the test SLOW`);
}

/** Runs `dime ARGS` from the repository root and waits for it. */
export function runDime(args: string[], timeout = 120_000): SpawnSyncReturns<string> {
  refuseInQuickTier(args);
  return spawnSync(process.execPath, [...BIN_NODE_FLAGS, BIN, ...args], { cwd: repo, encoding: "utf8", timeout });
}

/**
 * Starts `dime ARGS` from the repository root without waiting; with `detached`, as the leader of its
 * own process group, as a shell runs a foreground job (a terminal's Ctrl-C goes to the whole group).
 */
export function startDime(args: string[], { detached = false } = {}): ChildProcessWithoutNullStreams {
  refuseInQuickTier(args);
  return spawn(process.execPath, [...BIN_NODE_FLAGS, BIN, ...args], { cwd: repo, detached });
}
