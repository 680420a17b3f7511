// The training data loader: seeded item plans, frames loaded in worker threads with a bounded
// number of items in flight (prefetch), batches delivered in plan order. The same seed gives the
// same batches whatever the number of workers.
import { Worker } from "node:worker_threads";

import { MediaError } from "../media/errors.js";
import { stack, type Batch } from "./batch.js";
import { FrameStore } from "./frame-store.js";
import { listVideos, type VideoEntry } from "./layout.js";
import { sampleOptions, type SampleOptions } from "./options.js";
import { epochOrder, planItem, type ItemPlan } from "./plan.js";
import { loadSample, type Sample } from "./sample.js";
import type { WorkerReply, WorkerRequest } from "./worker.js";

export interface LoaderOptions extends Partial<SampleOptions> {
  size: number;
  split?: "train" | "test";
  batchSize?: number;
  /** Worker threads (default 2); 0 loads in the calling thread. */
  workers?: number;
  /** Items in flight per worker (default 4). */
  prefetch?: number;
  /** Per-worker cache of decoded video files, bytes (default 512 MiB). */
  cacheBytes?: number;
  /** Drop the last incomplete batch (default true, as training wants). */
  dropLast?: boolean;
}

/**
 * One rank's share of each batch (DistributedSampler, recomputed from the seed and the position):
 * shard `rank` of `count` gets items [rank * B / count, (rank + 1) * B / count) of every batch of
 * B, so the shards together are exactly the batches one process would see.
 */
export interface Shard {
  rank: number;
  count: number;
}

export class DataLoader {
  private workers: Worker[] = [];
  private pending = new Map<number, { resolve: (s: Sample) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private local?: FrameStore;
  private broken?: Error;

  private constructor(
    readonly entries: VideoEntry[],
    readonly options: SampleOptions,
    private readonly config: Required<Pick<LoaderOptions, "batchSize" | "workers" | "prefetch" | "cacheBytes" | "dropLast">>,
  ) {}

  /** Lists `root/split` and starts the workers. Throws `MediaError` for a missing or empty split. */
  static async open(root: string, options: LoaderOptions): Promise<DataLoader> {
    const entries = await listVideos(root, options.split ?? "train");
    const config = {
      batchSize: options.batchSize ?? 8,
      workers: options.workers ?? 2,
      prefetch: options.prefetch ?? 4,
      cacheBytes: options.cacheBytes ?? 512 * 1024 * 1024,
      dropLast: options.dropLast ?? true,
    };
    const loader = new DataLoader(entries, sampleOptions(options), config);
    loader.start();
    return loader;
  }

  /** Number of items in an epoch. */
  get epochLength(): number {
    return epochOrder(
      this.entries.map((e) => e.name),
      this.options,
      0,
    ).length;
  }

  /** The plans of one epoch, in order (pure: seed, epoch, position). */
  plans(epoch: number): ItemPlan[] {
    const order = epochOrder(
      this.entries.map((e) => e.name),
      this.options,
      epoch,
    );
    return order.map((video, position) =>
      planItem(this.options, epoch, position, video, this.entries[video].frameCount, this.entries[video].path),
    );
  }

  /**
   * Yields the batches of one epoch from item `start` on (default 0; a resumed training run
   * passes the items it has already consumed, so with `start` a multiple of the batch size the
   * batches are those an uninterrupted epoch yields from there). At most workers x prefetch
   * items are loading at a time. With `shard`, only that shard of each batch (see Shard).
   */
  async *epoch(epoch: number, start = 0, shard: Shard = { rank: 0, count: 1 }): AsyncGenerator<Batch> {
    const plans = this.plans(epoch);
    if (!Number.isInteger(start) || start < 0 || start > plans.length)
      throw new RangeError(`epoch(${epoch}, ${start}): start must be an integer in 0..${plans.length} (the items of an epoch)`);
    const { batchSize, dropLast } = this.config;
    const { rank, count } = shard;
    if (!(Number.isInteger(count) && count >= 1 && batchSize % count === 0 && Number.isInteger(rank) && rank >= 0 && rank < count))
      throw new RangeError(`epoch: shard ${rank} of ${count} does not divide the batch of ${batchSize}`);
    const share = batchSize / count;
    const remaining = plans.length - start;
    const limit = plans.length - (dropLast ? remaining % batchSize : 0);
    // This shard's items, in order: share [rank * share, (rank + 1) * share) of each whole batch.
    const mine: ItemPlan[] = [];
    for (let first = start; first < limit; first += batchSize)
      for (let k = rank * share; k < (rank + 1) * share && first + k < limit; k++) mine.push(plans[first + k]);
    const window = Math.max(share, Math.max(1, this.workers.length) * this.config.prefetch);
    const inFlight: Array<Promise<Sample>> = [];
    let next = 0;
    const fill = () => {
      while (next < mine.length && inFlight.length < window) {
        const p = this.load(mine[next++]);
        p.catch(() => undefined); // surfaced when awaited in order
        inFlight.push(p);
      }
    };
    for (let first = 0; first < mine.length; first += share) {
      fill();
      const samples: Sample[] = [];
      for (let k = 0; k < share && first + k < mine.length; k++) {
        samples.push(await inFlight.shift()!);
        fill();
      }
      yield stack(samples, this.options.size, this.options.numRefs);
    }
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    const workers = this.workers;
    this.workers = [];
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private start(): void {
    if (this.config.workers === 0) {
      this.local = new FrameStore(this.options.size, this.config.cacheBytes);
      return;
    }
    for (let i = 0; i < this.config.workers; i++) {
      const worker = spawnWorker();
      worker.on("message", (reply: WorkerReply) => {
        const waiter = this.pending.get(reply.id);
        if (!waiter) return;
        this.pending.delete(reply.id);
        if (this.pending.size === 0) for (const w of this.workers) w.unref();
        if (reply.sample) waiter.resolve(reply.sample);
        else waiter.reject(rebuildError(reply.error));
      });
      // A dead worker fails everything waiting and every later request, so nothing hangs.
      worker.on("error", (error) => this.fail(new Error(`a data loader worker crashed: ${error.message}`)));
      worker.on("exit", (code) => {
        if (this.workers.includes(worker)) this.fail(new Error(`a data loader worker exited (code ${code}) while the loader was open`));
      });
      worker.unref(); // idle workers do not keep the process alive; `load` refs them while busy
      worker.postMessage({
        type: "init",
        entries: this.entries,
        size: this.options.size,
        cacheBytes: this.config.cacheBytes,
      } satisfies WorkerRequest);
      this.workers.push(worker);
    }
  }

  private fail(error: Error): void {
    this.broken ??= error;
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }

  private load(plan: ItemPlan): Promise<Sample> {
    if (this.local) return loadSample(this.entries[plan.video], plan, this.local, this.options.size);
    if (this.broken) return Promise.reject(this.broken);
    if (this.workers.length === 0) return Promise.reject(new Error("the data loader is closed"));
    const id = this.nextId++;
    // Round-robin by video keeps one video's decoded cache on one worker.
    const worker = this.workers[plan.video % this.workers.length];
    return new Promise<Sample>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ type: "load", id, plan } satisfies WorkerRequest);
    });
  }
}

function rebuildError(error: WorkerReply["error"]): Error {
  if (error?.file && error.reason && error.detail !== undefined) return new MediaError(error.file, error.reason, error.detail);
  return new Error(error?.message ?? "a loader worker failed without a message");
}

/**
 * Starts a loader worker. From compiled JS that is worker.js; when running the TypeScript sources
 * (tests, through tsx), worker threads do not inherit tsx's loader, so a two-line shim registers it
 * in the thread first.
 */
function spawnWorker(): Worker {
  if (!import.meta.url.endsWith(".ts")) return new Worker(new URL("./worker.js", import.meta.url));
  const entry = JSON.stringify(new URL("./worker.ts", import.meta.url).href);
  return new Worker(`import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${entry}); });`, { eval: true });
}
