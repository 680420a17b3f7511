// Data-parallel training across processes (DESIGN section 11), as torchrun + DDP: each rank reads
// its place from torchrun's variables (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT),
// joins the c10d process group, starts from rank 0's weights, all-reduces gradients in buckets
// during backward, normalises with synchronised batch norm, and agrees with the others on when to
// stop. A collective that fails (a peer died, or stopped answering for the timeout) becomes one
// line naming the rank that went silent.
import * as torch from "../torch/index.js";
import type { Tensor } from "../torch/index.js";
import { setSyncBatchNorm } from "../nn/norm.js";
import { TrainError } from "./errors.js";

/** Where this process stands in a distributed run (torchrun's environment). */
export interface RankPlace {
  rank: number;
  worldSize: number;
  localRank: number;
  masterAddr: string;
  masterPort: number;
  /** How long a collective may wait for a peer before the run stops, in ms. */
  timeoutMs: number;
  backend: torch.distributed.Backend;
  /** The address this rank's Gloo connections bind to ("": the host name's; see InitOptions). */
  localAddr: string;
}

/** Seconds a rank waits for a silent peer unless DIME_DIST_TIMEOUT (or --dist-timeout) says otherwise. */
export const DEFAULT_DIST_TIMEOUT_S = 60;

/** The rank's place from torchrun's variables, or undefined when RANK and WORLD_SIZE are not both set. */
export function rankPlaceFromEnv(env: NodeJS.ProcessEnv = process.env): RankPlace | undefined {
  if (env.RANK === undefined || env.WORLD_SIZE === undefined) return undefined;
  const int = (name: string, value: string | undefined, least: number): number => {
    const n = Number(value);
    if (!(Number.isSafeInteger(n) && n >= least)) throw new TrainError(`${name}=${value}: must be an integer >= ${least}`);
    return n;
  };
  const worldSize = int("WORLD_SIZE", env.WORLD_SIZE, 1);
  const rank = int("RANK", env.RANK, 0);
  if (rank >= worldSize) throw new TrainError(`RANK=${rank}: must be below WORLD_SIZE=${worldSize}`);
  const backend = env.DIME_DIST_BACKEND ?? "gloo";
  if (backend !== "gloo" && backend !== "nccl") throw new TrainError(`DIME_DIST_BACKEND=${backend}: must be gloo or nccl`);
  return {
    rank,
    worldSize,
    localRank: env.LOCAL_RANK === undefined ? rank : int("LOCAL_RANK", env.LOCAL_RANK, 0),
    masterAddr: env.MASTER_ADDR ?? "127.0.0.1",
    masterPort: int("MASTER_PORT", env.MASTER_PORT ?? "29500", 1),
    timeoutMs: 1000 * (env.DIME_DIST_TIMEOUT === undefined ? DEFAULT_DIST_TIMEOUT_S : Number(env.DIME_DIST_TIMEOUT)),
    backend,
    // One node: everything on the master address (127.0.0.1 by default). Several: this node's own.
    localAddr: env.DIME_LOCAL_ADDR ?? (env.LOCAL_WORLD_SIZE === env.WORLD_SIZE ? (env.MASTER_ADDR ?? "127.0.0.1") : ""),
  };
}

/** An error of a rank of a data-parallel run, its message starting with the rank. */
export class RankError extends TrainError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RankError";
  }
}

/** A failed collective, explained: the rank that went silent (or failed) is named. */
export class PeerFailure extends RankError {
  constructor(message: string) {
    super(message);
    this.name = "PeerFailure";
  }
}

/** This process's part in a data-parallel run. */
export class DataParallel {
  #closed = false;

  private constructor(readonly place: RankPlace) {}

  /** Joins the process group (rank 0 hosts the store) and turns synchronised batch norm on. */
  static join(place: RankPlace): DataParallel {
    try {
      torch.distributed.initProcessGroup({
        masterAddr: place.masterAddr,
        masterPort: place.masterPort,
        rank: place.rank,
        worldSize: place.worldSize,
        timeoutMs: place.timeoutMs,
        backend: place.backend,
        localAddr: place.localAddr,
      });
    } catch (error) {
      throw new TrainError(
        `rank ${place.rank}: cannot join the process group at ${place.masterAddr}:${place.masterPort} (${(error as Error).message})`,
      );
    }
    setSyncBatchNorm(true);
    return new DataParallel(place);
  }

  get rank(): number {
    return this.place.rank;
  }
  get worldSize(): number {
    return this.place.worldSize;
  }
  /** Rank 0: the one that writes the log, the samples and the checkpoints. */
  get isMain(): boolean {
    return this.place.rank === 0;
  }

  /**
   * Makes every rank start from rank 0's parameters and buffers (as DDP's constructor does) and
   * sets up the gradient buckets over `params`.
   */
  attach(params: readonly Tensor[], buffers: readonly Tensor[]): void {
    this.#collective(() => {
      // One flat broadcast per dtype (float32 or float64 weights, int64 batch counts).
      const byDtype = new Map<string, Tensor[]>();
      for (const t of [...params, ...buffers]) byDtype.set(t.dtype, [...(byDtype.get(t.dtype) ?? []), t]);
      torch.noGrad(() => {
        for (const group of byDtype.values()) torch.distributed.broadcast(group, 0);
      });
      torch.distributed.gradientBuckets(params);
    });
  }

  /** Before backward: arms the gradient hooks. */
  beforeBackward(): void {
    torch.distributed.prepareBackward();
  }

  /** After backward: every parameter's grad is the mean over ranks. */
  afterBackward(): void {
    this.#collective(() => torch.distributed.finishGradients());
  }

  /** The mean over ranks of each number (one small all-reduce). */
  mean(values: Record<string, number>): Record<string, number> {
    const names = Object.keys(values);
    if (names.length === 0) return values;
    return this.#collective(() =>
      torch.tidy(() => {
        const t = torch.tensor(
          names.map((n) => values[n]),
          { dtype: "float64" },
        );
        torch.distributed.allReduce([t]);
        const sums = t.data() as Float64Array;
        return Object.fromEntries(names.map((n, i) => [n, sums[i] / this.worldSize]));
      }),
    );
  }

  /** Whether any rank wants to stop (Ctrl-C, SIGTERM, a hook): all ranks stop after the same step. */
  agreeToStop(stop: boolean): boolean {
    return this.#collective(() =>
      torch.tidy(() => {
        const flag = torch.full([1], stop ? 1 : 0);
        torch.distributed.allReduce([flag]);
        return flag.item() > 0;
      }),
    );
  }

  /**
   * The error to stop with after `error` broke a step: a failed collective becomes one line naming
   * the rank that went silent; this rank's own error is announced to the others and passed on.
   */
  explain(error: unknown): Error {
    if (error instanceof RankError) return error;
    const message = error instanceof Error ? error.message : String(error);
    if (!/^dist[A-Z]\w*: /.test(message)) {
      try {
        torch.distributed.store.set(`failed/${this.rank}`, message);
      } catch {
        // the store is gone too; the others will find this rank silent
      }
      return new RankError(`rank ${this.rank}: ${message}`, { cause: error });
    }
    // Under the launcher, a rank that failed on its own prints its line and exits, and the launcher
    // then stops the others: a moment's wait keeps this rank's echo of that failure from being
    // printed as a second line (a rank killed outright is still named, 2 s later).
    if (process.env.DIME_LAUNCHER_PIPE) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2000);
    return new PeerFailure(this.#blame());
  }

  #blame(): string {
    const me = `rank ${this.rank}`;
    const failed: number[] = [];
    try {
      for (let r = 0; r < this.worldSize; r++) if (r !== this.rank && torch.distributed.store.has(`failed/${r}`)) failed.push(r);
    } catch {
      return `${me}: lost rank 0 (it hosts the store): it died or stopped answering; stopping`;
    }
    if (failed.length > 0) return `${me}: rank ${failed.join(", rank ")} failed (its own message says why); stopping`;
    const silent = torch.distributed.silentRanks(2500);
    if (silent[0] === -1) return `${me}: lost rank 0 (it hosts the store): it died or stopped answering; stopping`;
    const timeout = `${this.place.timeoutMs / 1000} s timeout`;
    if (silent.length === 0) return `${me}: a collective failed within the ${timeout}, though every rank still beats; stopping`;
    return `${me}: rank ${silent.join(", rank ")} died or stopped answering (${timeout}); stopping`;
  }

  #collective<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw this.explain(error);
    }
  }

  /** Leaves the group once every rank is done (rank 0's store must outlive the others' last call). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    setSyncBatchNorm(false);
    try {
      torch.distributed.barrier();
    } finally {
      torch.distributed.destroyProcessGroup();
    }
  }
}
