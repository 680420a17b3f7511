// Live mode: webcam frames in over a WebSocket, the animated picture back. A frame that arrives
// while the model is busy with the previous one is dropped, not queued (and the client told), so
// the delay stays one model call however slow the model is. The page also sends a frame only once
// the previous one has been answered, so frames cannot pile up in the connection either.
// Relative motion starts from the first frame, or from the frame marked "reset pose".
//
// Messages: the client opens with text {type:"start", model, source, references?, mode?,
// adaptScale?, odeSteps?}; the server answers {type:"ready", width, height} (or {type:"error",
// message}). Then binary frames both ways: client -> server [uint32 LE sequence][uint8 flags,
// bit 0 = reset pose][RGBA, width*height*4 at the model's size]; server -> client [uint32 LE
// sequence][RGBA], or for a dropped frame {type:"dropped", sequence}: every frame gets one answer.
// Every second the server sends {type:"stats", received, animated, dropped, modelMs} (modelMs:
// the mean time of one model call over that second).
import type { WebSocket } from "ws";

import type { DiME } from "../dime/dime.js";
import { animate, type AnimatedFrame } from "../infer/animate.js";
import type { FrameSize } from "../infer/model.js";
import type { RgbImage } from "../media/image.js";
import { readImage } from "../media/image-read.js";

export const HEADER_BYTES = 5;
export const RESET_POSE = 1;

export interface LiveStart {
  model: DiME;
  size: FrameSize;
  source: string;
  references: readonly string[];
  mode: "relative" | "absolute";
  adaptScale: boolean;
  odeSteps?: number;
}

/** A one-slot stream of driving frames: animate() pulls, the socket pushes (at most one waits). */
class FrameChannel implements AsyncIterable<RgbImage> {
  #waiting?: (result: IteratorResult<RgbImage>) => void;
  #pending?: RgbImage;
  #ended = false;

  push(frame: RgbImage): void {
    const take = this.#waiting;
    this.#waiting = undefined;
    if (take) take({ value: frame, done: false });
    else this.#pending = frame;
  }

  end(): void {
    this.#ended = true;
    this.#waiting?.({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<RgbImage> {
    return {
      next: () => {
        const frame = this.#pending;
        this.#pending = undefined;
        if (frame) return Promise.resolve({ value: frame, done: false });
        if (this.#ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (this.#waiting = resolve));
      },
    };
  }
}

/** RGBA bytes (width*height*4, rows top to bottom) as planar RGB in [0, 1]. */
export function rgbaToImage(rgba: Uint8Array, { width, height }: FrameSize): RgbImage {
  const plane = width * height;
  const data = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    data[i] = rgba[4 * i] / 255;
    data[plane + i] = rgba[4 * i + 1] / 255;
    data[2 * plane + i] = rgba[4 * i + 2] / 255;
  }
  return { data, width, height };
}

/** Planar RGB in [0, 1] as opaque RGBA bytes after a `HEADER_BYTES - 1`-byte sequence number. */
function imageToMessage(image: RgbImage, sequence: number): Buffer {
  const plane = image.width * image.height;
  const out = Buffer.alloc(4 + 4 * plane);
  out.writeUInt32LE(sequence, 0);
  const byte = (v: number) => Math.max(0, Math.min(255, Math.round(v * 255)));
  for (let i = 0; i < plane; i++) {
    out[4 + 4 * i] = byte(image.data[i]);
    out[5 + 4 * i] = byte(image.data[plane + i]);
    out[6 + 4 * i] = byte(image.data[2 * plane + i]);
    out[7 + 4 * i] = 255;
  }
  return out;
}

/** Runs one live session on `socket` until it closes; `start` has been checked by the caller. */
export async function runLive(socket: WebSocket, start: LiveStart): Promise<void> {
  const fit = { ...start.size, crop: "center" as const };
  const source = await readImage(start.source, { fit });
  const references = await Promise.all(start.references.map((r) => readImage(r, { fit })));
  const frameBytes = start.size.width * start.size.height * 4;
  const counts = { received: 0, animated: 0, dropped: 0, modelMs: 0 };
  let busy = false;
  let channel: FrameChannel | undefined;
  let sequence = 0;
  let calledAt = 0;

  // One pass of animate() per pose: its first driving frame is kp_D(0) for relative motion.
  const startPass = (): FrameChannel => {
    const pass = new FrameChannel();
    const frames = animate({
      model: start.model,
      size: start.size,
      source,
      references,
      driving: pass,
      options: { mode: start.mode, adaptScale: start.adaptScale, batch: 1, ...(start.odeSteps ? { ode: { steps: start.odeSteps } } : {}) },
    });
    void (async () => {
      try {
        for await (const frame of frames as AsyncGenerator<AnimatedFrame>) {
          counts.animated += 1;
          counts.modelMs += performance.now() - calledAt;
          if (socket.readyState === socket.OPEN) socket.send(imageToMessage(frame.image, sequence));
          // Frames that came in during the call are handled (and dropped) before this runs.
          setImmediate(() => (busy = false));
        }
      } catch (error) {
        if (socket.readyState === socket.OPEN)
          socket.send(JSON.stringify({ type: "error", message: (error as Error).message.split("\n")[0] }));
        socket.close();
      }
    })();
    return pass;
  };

  const timer = setInterval(() => {
    if (socket.readyState !== socket.OPEN) return;
    const { received, animated, dropped, modelMs } = counts;
    socket.send(JSON.stringify({ type: "stats", received, animated, dropped, modelMs: animated ? modelMs / animated : 0 }));
    Object.assign(counts, { received: 0, animated: 0, dropped: 0, modelMs: 0 });
  }, 1000);

  socket.on("message", (data, isBinary) => {
    if (!isBinary) return;
    const bytes = Buffer.isBuffer(data) ? data : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]);
    counts.received += 1;
    if (bytes.length !== HEADER_BYTES + frameBytes) {
      socket.send(
        JSON.stringify({
          type: "error",
          message: `a live frame must be ${HEADER_BYTES + frameBytes} bytes (header and ${start.size.width}x${start.size.height} RGBA), got ${bytes.length}`,
        }),
      );
      return;
    }
    if (busy) {
      counts.dropped += 1;
      socket.send(JSON.stringify({ type: "dropped", sequence: bytes.readUInt32LE(0) }));
      return;
    }
    busy = true;
    sequence = bytes.readUInt32LE(0);
    if (!channel || bytes[4] & RESET_POSE) {
      channel?.end();
      channel = startPass();
    }
    calledAt = performance.now();
    channel.push(rgbaToImage(bytes.subarray(HEADER_BYTES), start.size));
  });

  socket.send(JSON.stringify({ type: "ready", ...start.size }));
  await new Promise<void>((resolve) => socket.once("close", () => resolve()));
  clearInterval(timer);
  channel?.end();
}
