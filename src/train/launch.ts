// The launcher of `dime train --nproc-per-node N`, in the spirit of torchrun: one process per rank
// on this node, each given torchrun's variables (RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE,
// GROUP_RANK, MASTER_ADDR, MASTER_PORT) and an equal share of the cores. A rank that fails prints
// one line and exits with 1, and the others are killed then; a rank killed outright leaves the
// others the timeout to notice and name it. Ranks are killed with their process group, and each
// also exits when the launcher's pipe closes, so no rank outlives the launcher.
import { spawn, type ChildProcess } from "node:child_process";
import { availableParallelism } from "node:os";
import { createServer, isIPv4 } from "node:net";

import * as torch from "../torch/index.js";

export interface LaunchOptions {
  /** Ranks on this node, nodes in all, and this node's index. */
  nprocPerNode: number;
  nnodes: number;
  nodeRank: number;
  /** The store's host (rank 0's node) and port; port 0 on a single node: a free one. */
  masterAddr: string;
  masterPort: number;
  /** Seconds a rank waits for a silent peer. */
  timeoutS: number;
  backend: "gloo" | "nccl";
  /** This node's address for Gloo's connections (default: the master address on one node, the host name's on several). */
  localAddr?: string;
  /** `dime train` arguments for every rank (without the launcher's flags). */
  args: string[];
  /** Where ranks' lines and the launcher's go (default the process's stderr). */
  stderr?: NodeJS.WritableStream;
}

/** Exit code of the run: 0 when every rank finished, else the first failing rank's. */
export async function launch(options: LaunchOptions): Promise<number> {
  const { nprocPerNode, nnodes, nodeRank } = options;
  const worldSize = nprocPerNode * nnodes;
  const port = options.masterPort !== 0 ? options.masterPort : await freePort(options.masterAddr);
  const args = [...options.args];
  // Threads per rank: the cores shared out (torchrun sets OMP_NUM_THREADS=1; an equal share is faster here).
  if (!args.includes("--threads")) args.push("--threads", String(Math.max(1, Math.floor(availableParallelism() / nprocPerNode))));
  const script = process.argv[1];
  // The store (rank 0's) listens on the master address only, not on every address as libtorch's
  // TCPStore does by itself: see native/bind-address.c.
  const shim = torch.distributed.bindAddressLibrary();
  const bindOnly =
    shim && isIPv4(options.masterAddr) && nodeRank === 0
      ? { LD_PRELOAD: [shim, process.env.LD_PRELOAD].filter(Boolean).join(" "), DIME_BIND_ADDR: options.masterAddr }
      : {};
  const children: { rank: number; child: ChildProcess; exit?: { code: number | null; signal: NodeJS.Signals | null } }[] = [];
  for (let local = 0; local < nprocPerNode; local++) {
    const rank = nodeRank * nprocPerNode + local;
    const env = {
      ...process.env,
      RANK: String(rank),
      LOCAL_RANK: String(local),
      WORLD_SIZE: String(worldSize),
      LOCAL_WORLD_SIZE: String(nprocPerNode),
      GROUP_RANK: String(nodeRank),
      MASTER_ADDR: options.masterAddr,
      MASTER_PORT: String(port),
      DIME_DIST_TIMEOUT: String(options.timeoutS),
      DIME_DIST_BACKEND: options.backend,
      DIME_LAUNCHER_PIPE: "1",
      ...(options.localAddr !== undefined ? { DIME_LOCAL_ADDR: options.localAddr } : {}),
      ...bindOnly,
    };
    // Own process group (detached) so that the launcher can kill a rank with everything it started.
    const child = spawn(process.execPath, [...process.execArgv, script, "train", ...args], {
      env,
      stdio: ["pipe", "inherit", "inherit"],
      detached: true,
    });
    children.push({ rank, child });
  }
  const forward = (signal: NodeJS.Signals) => {
    for (const { child, exit } of children) if (!exit) child.kill(signal);
  };
  const onInt = () => forward("SIGINT");
  const onTerm = () => forward("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  let killer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve) => {
      let left = children.length;
      for (const entry of children) {
        entry.child.on("exit", (code, signal) => {
          entry.exit = { code, signal };
          left -= 1;
          if (code === 1) {
            // A rank explained the failure in its line: the others would only repeat it.
            killAll(children);
          } else if ((code !== 0 || signal) && !killer) {
            // The others have the timeout (and the time to name the culprit) to stop by themselves.
            killer = setTimeout(() => killAll(children), (options.timeoutS + 10) * 1000);
          }
          if (left === 0) resolve();
        });
      }
    });
  } finally {
    if (killer) clearTimeout(killer);
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
    killAll(children);
  }
  const failed = children.filter((c) => c.exit!.code !== 0);
  if (failed.length === 0) return 0;
  // A rank that exits with 1 has printed its one line, and 130/143 are the ranks stopping on a
  // signal passed on; a rank killed outright with nobody left to say so is named here.
  const killed = failed.find((c) => c.exit?.signal);
  if (killed && !failed.some((c) => c.exit?.code === 1))
    (options.stderr ?? process.stderr).write(
      `dime train: rank ${killed.rank} was killed by ${killed.exit?.signal}; the other ranks were stopped\n`,
    );
  const main = children[0].exit!;
  if (main.code !== 0 && main.code !== null) return main.code;
  return failed.find((c) => c.exit?.code !== null)?.exit?.code ?? 1;
}

/** SIGKILL to the process group of every rank still running. */
function killAll(children: { child: ChildProcess; exit?: unknown }[]): void {
  for (const { child, exit } of children) {
    if (exit || child.pid === undefined) continue;
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** A port free on `host` now (torchrun's standalone mode does the same). */
export async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
