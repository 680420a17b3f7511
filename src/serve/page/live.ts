// Live mode in the page: webcam frames (getUserMedia), center-cropped to the model's size, sent
// over a WebSocket as RGBA; the animated frames drawn as they come back, with the latency (frame
// captured to frame drawn) and the frames per second on screen. A camera frame is sent only when
// the previous one has been answered (animated, or dropped by a busy server); the others are
// skipped, so no frame ever waits in the connection and the latency stays one model call.

export interface LiveSetup {
  model: string;
  source: string;
  references: string[];
  mode: "relative" | "absolute";
  adaptScale: boolean;
  odeSteps?: number;
  camera: HTMLCanvasElement;
  output: HTMLCanvasElement;
  stats: HTMLElement;
  onError: (message: string) => void;
}

export interface LiveSession {
  resetPose(): void;
  stop(): void;
}

const HEADER_BYTES = 5;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : 0;
}

export async function startLive(setup: LiveSetup): Promise<LiveSession> {
  const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false }).catch((error: Error) => {
    throw new Error(`the webcam could not be opened (${error.name}: ${error.message}); allow the camera for this page`);
  });
  const video = Object.assign(document.createElement("video"), { muted: true, playsInline: true, srcObject: stream });
  await video.play();
  const socket = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/live`);
  socket.binaryType = "arraybuffer";
  let stopped = false;
  let size: { width: number; height: number } | undefined;
  let sequence = 0;
  let reset = true;
  const sentAt = new Map<number, number>();
  const latencies: number[] = [];
  const arrivals: number[] = [];
  let drawn = 0;
  let dropped = 0;
  let skipped = 0;
  /** When the frame awaiting its answer was sent; undefined when none is. */
  let waitingSince: number | undefined;
  let modelMs = 0;

  const cameraContext = setup.camera.getContext("2d", { willReadFrequently: true })!;
  const outputContext = setup.output.getContext("2d")!;

  const stop = () => {
    if (stopped) return;
    stopped = true;
    socket.close();
    for (const track of stream.getTracks()) track.stop();
  };

  const sendFrame = () => {
    if (stopped || !size || socket.readyState !== WebSocket.OPEN) return;
    // The largest centered square (or the model's aspect) of the camera picture, scaled to the model's size.
    const { videoWidth: vw, videoHeight: vh } = video;
    // A lost answer (never seen on a local connection) does not stop the stream for long.
    const waiting = waitingSince !== undefined && performance.now() - waitingSince < 5000;
    if (waiting) skipped += 1;
    else if (vw > 0 && vh > 0) {
      const scale = Math.min(vw / size.width, vh / size.height);
      const [cw, ch] = [size.width * scale, size.height * scale];
      cameraContext.drawImage(video, (vw - cw) / 2, (vh - ch) / 2, cw, ch, 0, 0, size.width, size.height);
      const pixels = cameraContext.getImageData(0, 0, size.width, size.height).data;
      const message = new Uint8Array(HEADER_BYTES + pixels.length);
      sequence = (sequence + 1) >>> 0;
      new DataView(message.buffer).setUint32(0, sequence, true);
      message[4] = reset ? 1 : 0;
      reset = false;
      message.set(pixels, HEADER_BYTES);
      waitingSince = performance.now();
      sentAt.set(sequence, waitingSince);
      if (sentAt.size > 120) sentAt.delete(sentAt.keys().next().value!);
      socket.send(message);
    }
    video.requestVideoFrameCallback(sendFrame);
  };

  const showStats = () => {
    const now = performance.now();
    while (arrivals.length && arrivals[0] < now - 2000) arrivals.shift();
    const fps = arrivals.length > 1 ? (1000 * (arrivals.length - 1)) / (arrivals[arrivals.length - 1] - arrivals[0]) : 0;
    setup.stats.textContent = `latency ${median(latencies).toFixed(0)} ms (median of the last ${latencies.length}), ${fps.toFixed(1)} frames/s, model ${modelMs.toFixed(0)} ms a frame, ${drawn} drawn, ${skipped} camera frames skipped while the model worked${dropped ? `, ${dropped} dropped by the server in the last second` : ""}`;
    setup.stats.dataset.latencyMs = median(latencies).toFixed(1);
    setup.stats.dataset.fps = fps.toFixed(2);
  };

  socket.onmessage = (event) => {
    if (typeof event.data === "string") {
      const message = JSON.parse(event.data) as {
        type: string;
        width?: number;
        height?: number;
        message?: string;
        dropped?: number;
        modelMs?: number;
      };
      if (message.type === "ready") {
        size = { width: message.width!, height: message.height! };
        for (const canvas of [setup.camera, setup.output]) Object.assign(canvas, size);
        video.requestVideoFrameCallback(sendFrame);
      } else if (message.type === "stats") {
        dropped = message.dropped ?? 0;
        modelMs = message.modelMs ?? 0;
        showStats();
      } else if (message.type === "dropped") {
        waitingSince = undefined;
      } else if (message.type === "error") {
        setup.onError(message.message ?? "live mode stopped");
        stop();
      }
      return;
    }
    if (!size) return;
    waitingSince = undefined;
    const bytes = new Uint8Array(event.data as ArrayBuffer);
    const seq = new DataView(bytes.buffer).getUint32(0, true);
    outputContext.putImageData(new ImageData(new Uint8ClampedArray(bytes.buffer, 4), size.width, size.height), 0, 0);
    const sent = sentAt.get(seq);
    if (sent !== undefined) {
      latencies.push(performance.now() - sent);
      if (latencies.length > 30) latencies.shift();
    }
    arrivals.push(performance.now());
    drawn += 1;
    setup.output.dataset.frames = String(drawn);
    showStats();
  };
  socket.onclose = () => {
    if (!stopped) setup.onError("the live connection closed");
    stop();
  };
  await new Promise<void>((resolve, reject) => {
    socket.onopen = () => resolve();
    socket.onerror = () => reject(new Error("could not open the live connection to the server"));
  });
  socket.send(
    JSON.stringify({
      type: "start",
      model: setup.model,
      source: setup.source,
      references: setup.references,
      mode: setup.mode,
      adaptScale: setup.adaptScale,
      odeSteps: setup.odeSteps,
    }),
  );
  setup.stats.textContent = "starting";
  return { resetPose: () => (reset = true), stop };
}
