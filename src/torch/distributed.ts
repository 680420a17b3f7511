// torch.distributed for dime: one process group per process on libtorch's c10d (TCPStore
// rendezvous, ProcessGroupGloo on the CPU, ProcessGroupNCCL on CUDA where libtorch has it),
// collectives on tensors, DDP-style gradient buckets and a differentiable all-reduce for
// synchronised batch norm (native/distributed.cc).
import { native } from "./binding.js";
import { Tensor } from "./tensor.js";

export type Backend = "gloo" | "nccl";

export interface InitOptions {
  /** The store's host (MASTER_ADDR) and port (MASTER_PORT; rank 0 may give 0 for a free one). */
  masterAddr: string;
  masterPort: number;
  rank: number;
  worldSize: number;
  /** How long a collective or the rendezvous may wait for a peer, in ms. */
  timeoutMs: number;
  backend?: Backend;
  /**
   * The address this rank's Gloo connections bind to (default masterAddr: right on one node);
   * "" lets Gloo take the address of this machine's host name.
   */
  localAddr?: string;
}

/**
 * Joins the process group (init_process_group with env:// in PyTorch). Rank 0 hosts the TCPStore.
 * Returns the store's port (the one bound when rank 0 asked for 0).
 */
export function initProcessGroup(options: InitOptions): number {
  return native.distInit(
    options.masterAddr,
    options.masterPort,
    options.rank,
    options.worldSize,
    options.timeoutMs,
    options.backend ?? "gloo",
    options.localAddr ?? options.masterAddr,
  );
}

export { bindAddressLibrary } from "./binding.js";

export function isInitialized(): boolean {
  return native.distIsInitialized();
}

/** This process's rank (0 when no group exists). */
export function getRank(): number {
  return isInitialized() ? native.distRank() : 0;
}

/** The number of ranks (1 when no group exists). */
export function getWorldSize(): number {
  return isInitialized() ? native.distWorldSize() : 1;
}

/** Whether this libtorch build carries ProcessGroupNCCL. */
export function hasNccl(): boolean {
  return native.distHasNccl();
}

/** all_reduce(SUM) in place, all tensors in one message. */
export function allReduce(tensors: readonly Tensor[]): void {
  native.distAllReduce(tensors.map((t) => t.handle("allReduce")));
}

/** broadcast from `root` in place, all tensors in one message. */
export function broadcast(tensors: readonly Tensor[], root = 0): void {
  native.distBroadcast(
    tensors.map((t) => t.handle("broadcast")),
    root,
  );
}

/**
 * The sum over ranks of `x`, as a new tensor autograd differentiates through: the gradient each
 * rank gets for `x` is the sum over ranks of the gradients of the result (SyncBatchNorm's rule).
 */
export function allReduceSum(x: Tensor): Tensor {
  return new Tensor(native.distAllReduceSum(x.handle("allReduceSum")));
}

export function barrier(): void {
  native.distBarrier();
}

/**
 * Gradient buckets over `params` (DistributedDataParallel's reducer): after `prepareBackward()`,
 * backward copies each gradient into its bucket and starts a bucket's all-reduce as soon as it is
 * full, so communication overlaps the rest of backward; `finishGradients()` waits for them and
 * leaves each parameter's grad the mean over ranks. Returns the number of buckets.
 */
export function gradientBuckets(params: readonly Tensor[], bucketBytes = 25 * 2 ** 20, firstBucketBytes = 2 ** 20): number {
  return native.distBuckets(
    params.map((p) => p.handle("gradientBuckets")),
    bucketBytes,
    firstBucketBytes,
  );
}

export function prepareBackward(): void {
  native.distPrepareBackward();
}

export function finishGradients(): void {
  native.distFinishGradients();
}

/** The store: a small key-value table every rank sees (torch.distributed.Store). */
export const store = {
  set(key: string, value: string): void {
    native.distStoreSet(key, value);
  },
  /** Waits up to `timeoutMs` for `key`; throws when it does not come. */
  get(key: string, timeoutMs: number): string {
    return native.distStoreGet(key, timeoutMs);
  },
  has(key: string): boolean {
    return native.distStoreCheck(key);
  },
};

/**
 * The other ranks whose heartbeat (a native thread bumps a counter in the store every second)
 * did not move in `waitMs`: the ones that died or hang. [-1] when the store cannot be reached.
 */
export function silentRanks(waitMs = 2500): number[] {
  return native.distSilentRanks(waitMs);
}

/** Leaves the process group (rank 0's store goes with it: call barrier() first). */
export function destroyProcessGroup(): void {
  native.distShutdown();
}
