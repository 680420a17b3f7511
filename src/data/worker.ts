// A loader worker thread: receives the dataset's entries once, then loads planned items on request
// and sends their arrays back without copying (transferred buffers).
import { parentPort } from "node:worker_threads";

import { FrameStore } from "./frame-store.js";
import type { VideoEntry } from "./layout.js";
import type { ItemPlan } from "./plan.js";
import { MediaError, type MediaErrorReason } from "../media/errors.js";
import { loadSample, type Sample } from "./sample.js";

export type WorkerRequest =
  | { type: "init"; entries: VideoEntry[]; size: number; cacheBytes: number }
  | { type: "load"; id: number; plan: ItemPlan };
/** A loaded sample, or the failure as a MediaError's parts (file, reason, detail) or a plain message. */
export type WorkerReply = {
  id: number;
  sample?: Sample;
  error?: { message: string; file?: string; reason?: MediaErrorReason; detail?: string };
};

let entries: VideoEntry[] = [];
let store: FrameStore | undefined;
let size = 0;

parentPort!.on("message", (message: WorkerRequest) => {
  if (message.type === "init") {
    entries = message.entries;
    size = message.size;
    store = new FrameStore(size, message.cacheBytes);
    return;
  }
  const { id, plan } = message;
  loadSample(entries[plan.video], plan, store!, size).then(
    (sample) =>
      parentPort!.postMessage({ id, sample } satisfies WorkerReply, [
        sample.driving.buffer,
        sample.source.buffer,
        sample.refs.buffer,
      ] as ArrayBuffer[]),
    (error: unknown) => parentPort!.postMessage({ id, error: describe(error) } satisfies WorkerReply),
  );
});

function describe(error: unknown): NonNullable<WorkerReply["error"]> {
  if (error instanceof MediaError)
    return { message: error.message, file: error.file, reason: error.reason, detail: error.message.slice(error.file.length + 2) };
  return { message: error instanceof Error ? error.message : String(error) };
}
