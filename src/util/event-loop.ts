// A turn of Node's event loop between pieces of synchronous work (a batch of frames, a training
// step), so that signals, timers and sockets are served between them.
//
// Awaiting a promise is not enough: a loop fed by a child process's stdout (ffmpeg decoding) runs
// inside the stream's read callback, where Node drains the microtask queue, and libuv reads up to 32
// full pipe buffers in a row before it polls again; a frame loop that only awaits promises thus
// computes ~170 frames of 64 px (10 of 256 px) between two polls, and a Ctrl-C waits for them all.

/** Resolves in the event loop's next check phase, after it has polled for I/O and signals. */
export function turnEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
