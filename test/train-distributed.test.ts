// Data-parallel training on c10d (docs/distributed.md), with real processes, a real TCPStore and
// ProcessGroupGloo on 127.0.0.1: 2 ranks train as one process on the combined batch (synchronised
// batch norm, bucketed gradient all-reduce, each rank's share of the data and of the random warps;
// after 3 steps of the trainer's parts in float64, equal weights),
// a 2-rank run resumes with 1 rank, and a killed rank stops the other within the timeout with one
// line naming it, leaving no process behind.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

import * as torch from "../src/torch/index.js";
import { readSafetensors } from "../src/io/safetensors.js";
import { configToYaml } from "../src/dime/config/file.js";
import { latestCheckpoint } from "../src/checkpoint/index.js";
import { readLog, type StepRecord } from "../src/train/index.js";
import { freePort } from "../src/train/launch.js";
import { DiME } from "../src/dime/dime.js";
import { tinyDataset, tinyTrainConfig } from "./helpers/train-fixtures.js";
import { SLOW } from "./helpers/tier.js";

const repo = fileURLToPath(new URL("..", import.meta.url));
const BIN = fileURLToPath(new URL("../bin/dime.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "dime-train-distributed-"));
const data = join(dir, "data");
const config = join(dir, "tiny.yaml");
before(async () => {
  await tinyDataset(data);
  writeFileSync(config, configToYaml(tinyTrainConfig(), "tiny training config"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** `dime train` on the tiny config, one thread per process, batch 2 (one item per rank with 2 ranks). */
function trainArgs(out: string, steps: number, extra: string[] = []): string[] {
  return ["train", "--config", config, "--data", data, "--out", out, "--steps", String(steps), "--batch-size", "2"]
    .concat(["--threads", "1", "--workers", "0", "--checkpoint-every", "2"])
    .concat(extra);
}

function dime(args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: repo, encoding: "utf8", timeout: 120_000 });
  assert.equal(result.status, 0, `dime ${args.join(" ")} failed:\n${result.stderr}`);
  return result;
}

function weights(run: string): string {
  const entry = latestCheckpoint(join(run, "checkpoints"));
  assert.ok(entry, `${run}: no checkpoint`);
  return entry.weightsPath;
}

/** Runs a worker script (test/helpers) as `worldSize` ranks on 127.0.0.1; returns each rank's stdout. */
async function ranksOf(worker: string, worldSize: number, extraEnv: Record<string, string> = {}): Promise<string[]> {
  const script = fileURLToPath(new URL(`./helpers/${worker}`, import.meta.url));
  const port = await freePort("127.0.0.1");
  const runs = Array.from(
    { length: worldSize },
    (_, rank) =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ["--import", "tsx", script], {
          cwd: repo,
          env: { ...process.env, ...extraEnv, RANK: String(rank), WORLD_SIZE: String(worldSize), PORT: String(port) },
        });
        let out = "";
        let err = "";
        child.stdout.on("data", (c) => (out += c));
        child.stderr.on("data", (c) => (err += c));
        child.on("exit", (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`rank ${rank} of ${worker}: ${err}`))));
      }),
  );
  return Promise.all(runs);
}

test("2 ranks with Gloo: synchronised batch norm and bucketed gradients equal one process on the combined batch", SLOW, async () => {
  const [single] = await ranksOf("dist-bn-worker.ts", 1);
  const pair = await ranksOf("dist-bn-worker.ts", 2);
  // Printed to 5 decimals: gradients of the conv and the batch norm, then the running mean.
  const lines = (out: string) => out.split("\n").map((l) => l.replace(/^\d+ /, "").replace(/-0\.00000/g, "0.00000"));
  assert.deepEqual(lines(pair[0]), lines(single));
  assert.deepEqual(lines(pair[1]), lines(single));
});

test("2 ranks with Gloo: the whole DiME objective's gradients and statistics equal one process's", SLOW, async () => {
  type Dump = { grads: Record<string, number[] | null>; means: Record<string, number[]> };
  const [single] = (await ranksOf("dist-model-worker.ts", 1)).map((o) => JSON.parse(o) as Dump);
  const pair = (await ranksOf("dist-model-worker.ts", 2)).map((o) => JSON.parse(o) as Dump);
  const far = (a: number[], b: number[]) => a.some((v, i) => !(Math.abs(v - b[i]) <= 1e-4 + 1e-3 * Math.abs(v)));
  for (const dump of pair) {
    const grads = Object.entries(single.grads).filter(([name, g]) => far(g ?? [0], dump.grads[name] ?? [0]));
    assert.deepEqual(
      grads.map(([name]) => name),
      [],
      "gradients that differ",
    );
    const means = Object.entries(single.means).filter(([name, m]) => far(m, dump.means[name]));
    assert.deepEqual(
      means.map(([name]) => name),
      [],
      "running means that differ",
    );
  }
  const moving = Object.values(single.grads).filter((g) => g && g[0] > 1e-6).length;
  assert.ok(moving > 80, `only ${moving} parameters have a gradient to compare`);
});

test("dime train --nproc-per-node 2: the losses of one process on the combined batch; rank 0 alone writes", SLOW, () => {
  const one = join(dir, "one");
  const two = join(dir, "two-ranks");
  dime(trainArgs(one, 3));
  dime(trainArgs(two, 3, ["--nproc-per-node", "2", "--dist-timeout", "30"]));
  const losses = (run: string) =>
    readLog(join(run, "log.jsonl"))
      .filter((r): r is StepRecord => r.event === "step")
      .map((r) => r.loss.total);
  const [a, b] = [losses(one), losses(two)];
  assert.equal(b.length, 3, "each step logged once");
  // Step 1 is before any update: the same data, warps and batch statistics give the same loss.
  assert.ok(Math.abs(a[0] - b[0]) <= 1e-5 * a[0], `step 1: ${a[0]} vs ${b[0]}`);
  // After it, Adam's first steps (about lr x sign of each gradient) amplify float differences in
  // tiny gradients (rounding that crosses a ReLU or L1 kink: see the float64 test below), so the
  // later losses agree more loosely.
  for (let i = 1; i < 3; i++) assert.ok(Math.abs(a[i] - b[i]) <= 0.02 * a[i], `step ${i + 1}: ${a[i]} vs ${b[i]}`);
});

// Issue 21: the weights of a 2-rank run against one process's after N steps. In float32 they are
// not comparable at float tolerance: a batch of 1 convolves with other rounding than a batch of 2
// (about 1e-7), the tiny model amplifies that to about 5e-5 in places, a few ReLU inputs and L1
// residuals that close to zero change side, and Adam turns the gradient change of such an element
// near zero into up to a whole step (one process at 1 and 2 threads differs the same way;
// docs/distributed.md). So this runs the trainer's parts in float64, where nothing is that close to
// a kink, with Adam at PyTorch's defaults: the weights must then agree to a ten-thousandth of a step.
test("2 ranks with Gloo train 3 steps: every parameter and buffer equals one process's on the combined batch", SLOW, async () => {
  const out = (name: string) => join(dir, name);
  const env = { DATA: data, STEPS: "3" };
  await ranksOf("dist-train-worker.ts", 1, { ...env, OUT: out("single") });
  await ranksOf("dist-train-worker.ts", 2, { ...env, OUT: out("pair") });
  const one = readSafetensors(`${out("single")}-0.safetensors`).tensors;
  const ranks = [0, 1].map((r) => readSafetensors(`${out("pair")}-${r}.safetensors`).tensors);
  torch.manualSeed(0);
  const init = new DiME(tinyTrainConfig().model_params);
  try {
    assert.ok(one.size > 200, `only ${one.size} tensors`);
    for (const [r, two] of ranks.entries()) {
      assert.deepEqual([...two.keys()].sort(), [...one.keys()].sort());
      const far: string[] = [];
      let largest = 0;
      for (const [name, t] of one) {
        const [x, y] = [t.toArray(), (two.get(name) as torch.Tensor).toArray()];
        const worst = x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i])), 0);
        largest = Math.max(largest, worst);
        if (!(worst <= 1e-7)) far.push(`${name} (${worst.toExponential(2)})`);
      }
      assert.deepEqual(far, [], `rank ${r}: parameters or buffers that differ by more than 1e-7 (largest ${largest})`);
    }
    // Not vacuous: most parameters moved by a thousand times the tolerance or more.
    const moved = [...init.namedParameters()].filter(([name, p]) => {
      const [x, y] = [p.toArray(), (one.get(name) as torch.Tensor).toArray()];
      return x.some((v, i) => Math.abs(v - y[i]) > 1e-4);
    });
    assert.ok(moved.length > 100, `only ${moved.length} parameters moved by more than 1e-4`);
  } finally {
    torch.dispose([...one.values(), ...ranks.flatMap((t) => [...t.values()]), ...init.parameters(), ...init.buffers()]);
  }
});

test("a 2-rank checkpoint resumes with 1 rank and continues", SLOW, () => {
  const two = join(dir, "two");
  dime(trainArgs(two, 2, ["--nproc-per-node", "2", "--dist-timeout", "30"]));
  const steps = readLog(join(two, "log.jsonl")).filter((r) => r.event === "step");
  assert.deepEqual(
    steps.map((r) => r.step),
    [1, 2],
  );
  assert.ok(weights(two).endsWith("step-000002.safetensors"));
  const resumed = dime(["train", "--out", two, "--resume", "--data", data, "--steps", "4", "--threads", "1", "--workers", "0"]);
  assert.match(resumed.stdout, /finished at step 4\/4/);
  assert.ok(weights(two).endsWith("step-000004.safetensors"));
  assert.deepEqual(
    readLog(join(two, "log.jsonl"))
      .filter((r) => r.event === "step")
      .map((r) => r.step),
    [1, 2, 3, 4],
  );
});

// Multi-node on one host: two launchers, one rank each, meet at node 0's store on 127.0.0.1 as two
// machines' launchers would (--nnodes 2, --node-rank, --master-addr/--master-port; Gloo bound to
// --local-addr). The run is the 2-rank run: one log from node 0, the loss of one process at step 1.
test("two launchers as nodes 0 and 1 of --nnodes 2 on one host rendezvous and train as 2 ranks", SLOW, async () => {
  const one = join(dir, "nodes-one");
  const run = join(dir, "two-nodes");
  dime(trainArgs(one, 1));
  const port = await freePort("127.0.0.1");
  const node = (nodeRank: number) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const flags = ["--nproc-per-node", "1", "--nnodes", "2", "--node-rank", String(nodeRank), "--master-addr", "127.0.0.1"];
      const more = ["--master-port", String(port), "--local-addr", "127.0.0.1", "--dist-timeout", "30"];
      const child = spawn(process.execPath, [BIN, ...trainArgs(run, 2, [...flags, ...more])], { cwd: repo, timeout: 120_000 });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c) => (stdout += c));
      child.stderr.on("data", (c) => (stderr += c));
      child.on("exit", (code) => resolve({ code, stdout, stderr }));
    });
  const [first, second] = await Promise.all([node(0), node(1)]);
  assert.equal(first.code, 0, `node 0:\n${first.stderr}`);
  assert.equal(second.code, 0, `node 1:\n${second.stderr}`);
  assert.match(first.stdout, /finished at step 2\/2/);
  assert.equal(second.stdout, "", "node 1 (rank 1) reports nothing");
  const steps = readLog(join(run, "log.jsonl")).filter((r): r is StepRecord => r.event === "step");
  assert.deepEqual(
    steps.map((r) => r.step),
    [1, 2],
  );
  const single = readLog(join(one, "log.jsonl")).find((r): r is StepRecord => r.event === "step") as StepRecord;
  assert.ok(
    Math.abs(steps[0].loss.total - single.loss.total) <= 1e-5 * single.loss.total,
    `step 1: ${steps[0].loss.total} vs ${single.loss.total}`,
  );
  assert.ok(weights(run).endsWith("step-000002.safetensors"));
});

/** The processes whose parent is `pid`. */
function childrenOf(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
}

function rankOf(pid: number): number {
  const env = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
  return Number(env.find((v) => v.startsWith("RANK="))?.slice(5));
}

/** Addresses the process listens on for TCP (from /proc/net/tcp{,6} and its socket inodes). */
function listening(pid: number): string[] {
  const inodes = new Set(
    readdirSync(`/proc/${pid}/fd`)
      .map((fd) => {
        try {
          return readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          return "";
        }
      })
      .map((link) => /^socket:\[(\d+)\]$/.exec(link)?.[1])
      .filter((inode): inode is string => inode !== undefined),
  );
  const out: string[] = [];
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of readFileSync(file, "utf8").split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || fields[3] !== "0A" || !inodes.has(fields[9])) continue; // 0A: LISTEN
      out.push(decodeAddress(fields[1]));
    }
  }
  return out;
}

function decodeAddress(hex: string): string {
  const [host, port] = hex.split(":");
  const bytes = (host.match(/../g) ?? []).map((b) => Number.parseInt(b, 16));
  if (bytes.length === 4) return `${bytes.reverse().join(".")}:${Number.parseInt(port, 16)}`;
  // IPv6 in /proc: four little-endian 32-bit words.
  const words = [0, 4, 8, 12].map((i) => bytes.slice(i, i + 4).reverse());
  const flat = words.flat();
  const mapped = flat.slice(0, 10).every((b) => b === 0) && flat[10] === 255 && flat[11] === 255;
  if (mapped) return `${flat.slice(12).join(".")}:${Number.parseInt(port, 16)}`;
  return `[${flat.map((b) => b.toString(16).padStart(2, "0")).join("")}]:${Number.parseInt(port, 16)}`;
}

/**
 * Starts `dime train --nproc-per-node 2` (a long run) and resolves once a step is logged, when both
 * ranks are in the group; `stderr` collects the launcher's output from then on when reset.
 */
async function twoRanksStepping(out: string, timeoutS: number) {
  const launcher = spawn(process.execPath, [BIN, ...trainArgs(out, 1000, ["--nproc-per-node", "2", "--dist-timeout", String(timeoutS)])], {
    cwd: repo,
  });
  const run = { launcher, stderr: "", exited: new Promise<number | null>((resolve) => launcher.on("exit", (code) => resolve(code))) };
  launcher.stderr.on("data", (chunk) => (run.stderr += chunk));
  const log = join(out, "log.jsonl");
  const begun = Date.now();
  while (!(existsSync(log) && readFileSync(log, "utf8").includes('"event":"step"'))) {
    assert.ok(Date.now() - begun < 60_000, `no step after 60 s:\n${run.stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return run;
}

/**
 * Sends `signal` to rank 1 of `run` and waits for the launcher; asserts that it exits within
 * the timeout plus 10 s (the 2.5 s look at the heartbeats and a step's slack on a loaded
 * machine), that it printed one line besides the step lines, and that no rank outlived it.
 * Returns the exit code and that line.
 */
async function stopRankOne(run: Awaited<ReturnType<typeof twoRanksStepping>>, ranks: number[], signal: NodeJS.Signals, timeoutS: number) {
  const target = ranks.find((pid) => rankOf(pid) === 1)!;
  run.stderr = "";
  const sentAt = Date.now();
  process.kill(target, signal);
  const code = await run.exited;
  const seconds = (Date.now() - sentAt) / 1000;
  assert.ok(seconds < timeoutS + 10, `the launcher took ${seconds} s to exit`);
  const lines = run.stderr.split("\n").filter((line) => line.trim() !== "" && !line.startsWith("step "));
  assert.equal(lines.length, 1, `expected one line, got:\n${run.stderr}`);
  for (const pid of ranks)
    assert.ok(
      !existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z "),
      `rank pid ${pid} outlived the launcher`,
    );
  return { code, line: lines[0] };
}

test("killing a rank stops the other within the timeout, with one line naming it, and no process is left", SLOW, async () => {
  const out = join(dir, "killed");
  const timeoutS = 5;
  const run = await twoRanksStepping(out, timeoutS);
  const ranks = childrenOf(run.launcher.pid!);
  assert.equal(ranks.length, 2);
  // Nothing listens on an address other than 127.0.0.1: rank 0's store (its port is MASTER_PORT)
  // and every rank's Gloo pairs.
  const store = readFileSync(`/proc/${ranks[0]}/environ`, "utf8")
    .split("\0")
    .find((v) => v.startsWith("MASTER_PORT="))
    ?.slice(12);
  const addresses = ranks.flatMap((pid) => listening(pid));
  assert.ok(
    addresses.some((a) => a.endsWith(`:${store}`)),
    `the store's port ${store} is not among ${addresses.join(", ")}`,
  );
  for (const address of addresses) assert.match(address, /^127\.0\.0\.1:\d+$/);
  const { code, line } = await stopRankOne(run, ranks, "SIGKILL", timeoutS);
  assert.notEqual(code, 0);
  assert.match(line, /rank 1\b.*(died|stopped answering)/);
  // No half-written checkpoint: every weights file has its sidecar and loads.
  for (const name of readdirSync(join(out, "checkpoints")).filter((n) => n.endsWith(".safetensors") && !n.includes("optimizer")))
    torch.tidy(() => readSafetensors(join(out, "checkpoints", name)));
});

test("a rank that stops answering (SIGSTOP) stops the other within the timeout, with one line naming it", SLOW, async () => {
  const out = join(dir, "hung");
  const timeoutS = 4;
  const run = await twoRanksStepping(out, timeoutS);
  const ranks = childrenOf(run.launcher.pid!);
  const { code, line } = await stopRankOne(run, ranks, "SIGSTOP", timeoutS);
  assert.equal(code, 1);
  assert.match(line, /^dime train: rank 0: rank 1 died or stopped answering/);
});

test("the launcher refuses a batch that the ranks cannot share, and a bad run folder gives one line from rank 0", SLOW, () => {
  const bad = spawnSync(process.execPath, [BIN, ...trainArgs(join(dir, "odd"), 2, ["--batch-size", "3", "--nproc-per-node", "2"])], {
    cwd: repo,
    encoding: "utf8",
  });
  assert.notEqual(bad.status, 0);
  assert.equal(bad.stderr.trim(), "dime train: --batch-size 3 is the batch of all 2 ranks together: give a multiple of 2");
  assert.ok(!existsSync(join(dir, "odd")), "nothing written");
  const full = join(dir, "full");
  mkdirSync(join(full, "something"), { recursive: true });
  const refused = spawnSync(process.execPath, [BIN, ...trainArgs(full, 2, ["--nproc-per-node", "2", "--dist-timeout", "10"])], {
    cwd: repo,
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(refused.status, 1);
  assert.match(refused.stderr.trim(), /^dime train: rank 0: \S+full: is not empty \(something\): choose an empty or new --out$/);
});
