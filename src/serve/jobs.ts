// File jobs: one running at a time per model, the others waiting in that model's queue (each
// knows its place), each cancellable, each telling its listeners (the page's event stream) every
// change: place in the queue, frames done, frames per second, time left, result or error.
import type { WorkFolder } from "./work.js";
import { randomId } from "./work.js";
import { CancelledError, runAnimation, type AnimationProgress, type AnimationRequest, type AnimationResult } from "./job-run.js";
import { RequestError } from "./uploads.js";
import { turnEventLoop } from "../util/event-loop.js";

export type JobState = "queued" | "running" | "done" | "failed" | "cancelled";

/** What the page is told about a job, on every change. */
export interface JobStatus {
  id: string;
  model: string;
  state: JobState;
  /** Place in the model's queue: 1 is next; 0 once it runs. */
  position: number;
  phase: "waiting" | "loading" | "tracking" | "searching" | "animating" | "finished";
  framesDone: number;
  frames: number;
  fps: number;
  /** Seconds left, when known. */
  etaSeconds?: number;
  error?: string;
  result?: { frames: number; fps: string; duration: number; initialFrame: number };
}

/** What a job needs beyond the animation itself: its model's id, and how to get the request when its turn comes. */
export interface JobSpec {
  modelId: string;
  /** Inputs the job reads (pinned in the work folder until it ends). */
  inputs: readonly string[];
  /** Builds the request when the job starts (loads the model then, not while it waits). */
  request: () => AnimationRequest;
}

export class Job {
  readonly id = randomId();
  readonly controller = new AbortController();
  status: JobStatus;
  result?: AnimationResult;
  readonly #listeners = new Set<(status: JobStatus) => void>();

  constructor(readonly spec: JobSpec) {
    this.status = { id: this.id, model: spec.modelId, state: "queued", position: 0, phase: "waiting", framesDone: 0, frames: 0, fps: 0 };
  }

  get finished(): boolean {
    return this.status.state === "done" || this.status.state === "failed" || this.status.state === "cancelled";
  }

  /** Calls `listener` with every new status; returns the unsubscribe function. */
  subscribe(listener: (status: JobStatus) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  update(change: Partial<JobStatus>): void {
    this.status = { ...this.status, ...change };
    for (const listener of this.#listeners) listener(this.status);
  }
}

export class JobQueue {
  readonly #jobs = new Map<string, Job>();
  readonly #waiting = new Map<string, Job[]>();
  readonly #running = new Map<string, Job>();
  readonly #settled = new Set<Promise<void>>();

  constructor(
    private readonly work: WorkFolder,
    private readonly maxWaiting: number,
    private readonly log: (line: string) => void,
  ) {}

  get(id: string): Job | undefined {
    return this.#jobs.get(id);
  }

  /** Jobs running and waiting, over all models. */
  counts(): { running: number; waiting: number; jobs: number } {
    let waiting = 0;
    for (const queue of this.#waiting.values()) waiting += queue.length;
    return { running: this.#running.size, waiting, jobs: this.#jobs.size };
  }

  submit(spec: JobSpec): Job {
    const queue = this.#waiting.get(spec.modelId) ?? [];
    if (queue.length >= this.maxWaiting)
      throw new RequestError(`the queue for this model is full (${this.maxWaiting} waiting); try again later`, 429);
    const job = new Job(spec);
    this.#jobs.set(job.id, job);
    for (const input of spec.inputs) this.work.pin(input);
    queue.push(job);
    this.#waiting.set(spec.modelId, queue);
    this.#renumber(spec.modelId);
    this.#next(spec.modelId);
    return job;
  }

  /** Cancels a waiting or running job; a finished one is left as it is. */
  cancel(job: Job): void {
    if (job.finished) return;
    if (job.status.state === "queued") {
      const queue = this.#waiting.get(job.spec.modelId) ?? [];
      queue.splice(queue.indexOf(job), 1);
      this.#end(job, { state: "cancelled", phase: "finished" });
      this.#renumber(job.spec.modelId);
      return;
    }
    job.controller.abort();
  }

  /** Cancels every job and waits until the running ones have stopped (their partial files removed). */
  async close(): Promise<void> {
    for (const job of this.#jobs.values()) this.cancel(job);
    await Promise.all([...this.#settled]);
  }

  #renumber(modelId: string): void {
    (this.#waiting.get(modelId) ?? []).forEach((job, i) => {
      if (job.status.position !== i + 1) job.update({ position: i + 1 });
    });
  }

  #end(job: Job, change: Partial<JobStatus>): void {
    for (const input of job.spec.inputs) this.work.unpin(input);
    job.update({ position: 0, etaSeconds: undefined, ...change });
  }

  #next(modelId: string): void {
    if (this.#running.has(modelId)) return;
    const job = this.#waiting.get(modelId)?.shift();
    if (!job) return;
    this.#running.set(modelId, job);
    this.#renumber(modelId);
    const settled = this.#run(job).finally(() => {
      this.#settled.delete(settled);
      this.#running.delete(modelId);
      this.#next(modelId);
    });
    this.#settled.add(settled);
  }

  async #run(job: Job): Promise<void> {
    job.update({ state: "running", position: 0, phase: "loading" });
    const out = { video: this.work.newPath("results", ".mp4"), sideBySide: this.work.newPath("results", ".mp4") };
    const started = Date.now();
    try {
      // Lets the page see "running" before a model load blocks the thread.
      await turnEventLoop();
      if (job.controller.signal.aborted) throw new CancelledError();
      const request = job.spec.request();
      const result = await runAnimation(request, out, job.controller.signal, (p: AnimationProgress) => job.update(progressOf(p)));
      job.result = result;
      const drop = () => {
        if (!job.finished || job.status.state !== "done") return;
        job.update({ state: "failed", error: "the result was removed to keep the work folder under its size cap; run the job again" });
        job.result = undefined;
      };
      this.work.track(result.video, "results", drop);
      this.work.track(result.sideBySide, "results", drop);
      this.work.makeRoom();
      this.#end(job, {
        state: "done",
        phase: "finished",
        framesDone: result.frames,
        frames: result.frames,
        result: { frames: result.frames, fps: result.fps, duration: result.duration, initialFrame: result.initialFrame },
      });
      this.log(`job ${job.id}: ${result.frames} frames in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    } catch (error) {
      if (error instanceof CancelledError || job.controller.signal.aborted) {
        this.#end(job, { state: "cancelled", phase: "finished" });
        this.log(`job ${job.id}: cancelled`);
      } else {
        // The work folder's random names mean nothing to the user: "an upload" says as much.
        const message = (error instanceof Error ? error.message.split("\n")[0] : String(error)).replace(
          new RegExp(`${escapeRegExp(this.work.root)}/[^\\s:]+`, "g"),
          "an upload",
        );
        this.#end(job, { state: "failed", phase: "finished", error: message });
        this.log(`job ${job.id}: failed: ${message}`);
      }
    }
  }
}

function progressOf(p: AnimationProgress): Partial<JobStatus> {
  const left = p.phase === "animating" && p.fps > 0 ? (p.total - p.done) / p.fps : undefined;
  return { phase: p.phase, framesDone: p.done, frames: p.total, fps: p.fps, etaSeconds: left };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
