// Eager PyTorch FOMM beside dime in the same benchmark run: bench/fomm_pytorch.py in a child process
// (Debian's python3-torch, FOMM's own modules from FOMM_DIR), asked for one case at a time over
// JSON lines so that dime's runs and PyTorch's alternate on the machine.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createInterface, type Interface } from "node:readline";

/** bench/fomm_pytorch.py's cases (its docstring says what each times). */
export type PeerCase = "demo-frame" | "demo-job" | "expert-frame" | "expert-job" | "train";

export interface PeerRequest {
  case: PeerCase;
  threads: number;
  runs: number;
  warmup: number;
  precision?: "fp32" | "bf16";
}

/** The script, found from this file (src/bench or dist/bench) whatever the working directory. */
export function peerScript(): string {
  return new URL("../../bench/fomm_pytorch.py", import.meta.url).pathname;
}

export class PytorchPeer {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: AsyncIterator<string>;
  readonly #readline: Interface;
  /** torch.__version__ of the peer. */
  readonly torch: string;
  /** Whether the peer keeps freed memory (glibc mallopt, as its ready line reports); false: glibc's defaults. */
  readonly retainFreedMemory: boolean;

  private constructor(
    child: ChildProcessWithoutNullStreams,
    readline: Interface,
    lines: AsyncIterator<string>,
    torchVersion: string,
    retainFreedMemory: boolean,
  ) {
    this.#child = child;
    this.#readline = readline;
    this.#lines = lines;
    this.torch = torchVersion;
    this.retainFreedMemory = retainFreedMemory;
  }

  /**
   * Starts the peer, or returns why it cannot run (no FOMM_DIR checkout, no Python with torch), as
   * one sentence for the report. With `retainFreedMemory` the peer keeps freed memory for reuse as
   * dime does (an expert's allocator); without it, glibc's defaults (as FOMM's users run it).
   */
  static async start(python: string, fommDir: string | undefined, retainFreedMemory = false): Promise<PytorchPeer | string> {
    if (!fommDir) return "FOMM_DIR is not set (a checkout of AliaksandrSiarohin/first-order-model)";
    if (!existsSync(join(fommDir, "modules", "generator.py"))) return `FOMM_DIR=${fommDir} is not a first-order-model checkout`;
    if (!existsSync(python)) return `${python} not found (Debian's python3-torch)`;
    if (!existsSync(peerScript())) return `${peerScript()} not found (it is in the repository, not in the npm package)`;
    const args = [peerScript(), ...(retainFreedMemory ? ["--retain-freed-memory"] : [])];
    const child = spawn(python, args, { env: { ...process.env, FOMM_DIR: fommDir } });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const readline = createInterface({ input: child.stdout });
    const lines = readline[Symbol.asyncIterator]();
    const first = await lines.next();
    const reply = first.done
      ? undefined
      : (JSON.parse(first.value) as { ready?: boolean; torch?: string; retainFreedMemory?: boolean; error?: string });
    if (!reply?.ready) {
      child.kill();
      const why = reply?.error ?? stderr.trim().split("\n").at(-1) ?? "no reply";
      return `${python} ${peerScript()}: ${why}`;
    }
    return new PytorchPeer(child, readline, lines, reply.torch ?? "?", reply.retainFreedMemory === true);
  }

  /** Runs one case: the timed runs' wall clock and process CPU time in ms, or throws the peer's one-line error. */
  async time(request: PeerRequest): Promise<{ wallMs: number[]; cpuMs: number[] }> {
    this.#child.stdin.write(`${JSON.stringify(request)}\n`);
    const next = await this.#lines.next();
    if (next.done) throw new Error(`PyTorch peer exited during ${request.case}`);
    const reply = JSON.parse(next.value) as { samplesMs?: number[]; cpuMs?: number[]; error?: string };
    if (reply.error !== undefined || !reply.samplesMs || !reply.cpuMs)
      throw new Error(`PyTorch ${request.case}: ${reply.error ?? "no samples"}`);
    return { wallMs: reply.samplesMs, cpuMs: reply.cpuMs };
  }

  close(): void {
    this.#readline.close();
    this.#child.stdin.end();
    this.#child.kill();
  }
}
