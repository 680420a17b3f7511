// The page: pick a model and the inputs (uploads or the shipped demo files), set the options,
// run a job and follow it (server-sent events), play and download the result; or live mode.
import { cancelJob, getJson, postJson, upload, type JobStatus, type ModelInfo } from "./api.js";
import { startLive, type LiveSession } from "./live.js";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

interface Picked {
  id: string;
  label: string;
  preview: string;
}

const state: {
  models: ModelInfo[];
  source?: Picked;
  refs: Picked[];
  driving?: Picked;
  job?: string;
  events?: EventSource;
  live?: LiveSession;
} = { models: [], refs: [] };

function showError(message: string | undefined): void {
  const line = $<HTMLParagraphElement>("error");
  line.textContent = message ?? "";
  line.hidden = !message;
}

async function guarded(work: () => Promise<void>): Promise<void> {
  try {
    showError(undefined);
    await work();
  } catch (error) {
    showError((error as Error).message);
  }
}

function currentModel(): ModelInfo | undefined {
  return state.models.find((m) => m.id === $<HTMLSelectElement>("model").value);
}

function showModel(): void {
  const m = currentModel();
  $("model-info").textContent = m
    ? `${m.width}x${m.height} frames, step ${m.step}, trained with ${m.refs} reference view${m.refs === 1 ? "" : "s"}, on ${m.trainedOn}`
    : "";
}

function showInputs(): void {
  const source = $<HTMLImageElement>("source-preview");
  source.hidden = !state.source;
  if (state.source) source.src = state.source.preview;
  $("source-name").textContent = state.source?.label ?? "none yet";
  const refs = $("ref-previews");
  refs.replaceChildren(...state.refs.map((r) => Object.assign(document.createElement("img"), { src: r.preview, alt: r.label })));
  $("ref-names").textContent = state.refs.length ? state.refs.map((r) => r.label).join(", ") : "none";
  const driving = $<HTMLVideoElement>("driving-preview");
  driving.hidden = !state.driving;
  if (state.driving && driving.src !== new URL(state.driving.preview, location.href).href) driving.src = state.driving.preview;
  $("driving-name").textContent = state.driving?.label ?? "none yet";
}

async function uploadFrom(input: HTMLInputElement, kind: "picture" | "video"): Promise<Picked[]> {
  const picked: Picked[] = [];
  for (const file of Array.from(input.files ?? [])) {
    const info = await upload(kind, file);
    const detail =
      kind === "video"
        ? `${info.width}x${info.height}, ${info.frames} frames, ${info.duration.toFixed(1)} s`
        : `${info.width}x${info.height}`;
    picked.push({ id: info.id, label: `${info.name} (${detail})`, preview: URL.createObjectURL(file) });
  }
  input.value = "";
  return picked;
}

function options() {
  const mode = (document.querySelector<HTMLInputElement>("input[name=mode]:checked")?.value ?? "relative") as "relative" | "absolute";
  const steps = $<HTMLInputElement>("ode-steps").value.trim();
  return {
    mode,
    adaptScale: $<HTMLInputElement>("adapt-scale").checked,
    findBestFrame: $<HTMLInputElement>("best-frame").checked,
    ...(steps ? { odeSteps: Number(steps) } : {}),
  };
}

/** The file job's crop options, as `dime animate --crop --face-index --track --paste-back --smooth`. */
function footageOptions() {
  const choice = $<HTMLSelectElement>("crop").value;
  const box = () => ({
    x: Number($<HTMLInputElement>("box-x").value),
    y: Number($<HTMLInputElement>("box-y").value),
    width: Number($<HTMLInputElement>("box-w").value),
    height: Number($<HTMLInputElement>("box-h").value),
  });
  return {
    crop: choice === "box" ? box() : choice,
    faceIndex: Number($<HTMLInputElement>("face-index").value || 0),
    track: $<HTMLSelectElement>("track").value,
    pasteBack: $<HTMLInputElement>("paste-back").checked,
    smooth: $<HTMLInputElement>("smooth").checked ? Number($<HTMLInputElement>("smooth-strength").value || 1) : false,
  };
}

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function showJob(status: JobStatus): void {
  const bar = $<HTMLProgressElement>("progress");
  const text = $("progress-text");
  const running = status.state === "queued" || status.state === "running";
  $<HTMLButtonElement>("run").disabled = running;
  $<HTMLButtonElement>("cancel").disabled = !running;
  bar.value = status.frames ? (100 * status.framesDone) / status.frames : 0;
  if (status.state === "queued")
    text.textContent = status.position === 1 ? "waiting: next in the queue" : `waiting: number ${status.position} in the queue`;
  else if (status.phase === "loading") text.textContent = "loading the model";
  else if (status.phase === "tracking") text.textContent = `finding the face in the driving clip: ${status.framesDone}/${status.frames}`;
  else if (status.phase === "searching") text.textContent = `finding the best frame: ${status.framesDone}/${status.frames}`;
  else if (status.state === "running")
    text.textContent = `${status.framesDone}/${status.frames} frames, ${status.fps.toFixed(1)} frames/s, ETA ${status.etaSeconds !== undefined ? clock(status.etaSeconds) : "-"}`;
  else if (status.state === "done") {
    bar.value = 100;
    text.textContent = `done: ${status.result!.frames} frames${status.result!.initialFrame ? `, relative motion from driving frame ${status.result!.initialFrame}` : ""}`;
    showResult(status.id);
  } else if (status.state === "cancelled") text.textContent = "cancelled";
  else {
    text.textContent = "failed";
    showError(status.error);
  }
}

function showResult(id: string): void {
  const base = `/api/jobs/${id}`;
  $<HTMLVideoElement>("result-video").src = `${base}/result.mp4`;
  $<HTMLVideoElement>("side-video").src = `${base}/side-by-side.mp4`;
  $<HTMLAnchorElement>("download").href = `${base}/result.mp4?download`;
  $<HTMLAnchorElement>("download-side").href = `${base}/side-by-side.mp4?download`;
  $("result").hidden = false;
}

async function run(): Promise<void> {
  const model = currentModel();
  if (!model) throw new Error("no model to run: start dime serve with --models DIR, or keep the demo model");
  if (!state.source) throw new Error("pick a source picture first (upload one, or use the demo face)");
  if (!state.driving) throw new Error("pick a driving video first (upload one, or use the demo clip)");
  state.events?.close();
  $("result").hidden = true;
  const status = await postJson<JobStatus>("/api/jobs", {
    model: model.id,
    source: state.source.id,
    references: state.refs.map((r) => r.id),
    driving: state.driving.id,
    ...options(),
    ...footageOptions(),
  });
  state.job = status.id;
  showJob(status);
  const events = new EventSource(`/api/jobs/${status.id}/events`);
  state.events = events;
  events.onmessage = (event) => {
    const next = JSON.parse(event.data) as JobStatus;
    showJob(next);
    if (next.state !== "queued" && next.state !== "running") events.close();
  };
}

function switchTab(live: boolean): void {
  $("tab-file").classList.toggle("active", !live);
  $("tab-live").classList.toggle("active", live);
  $("file-mode").hidden = live;
  $("live-mode").hidden = !live;
  for (const el of document.querySelectorAll<HTMLElement>(".file-only")) el.hidden = live;
}

async function liveStart(): Promise<void> {
  const model = currentModel();
  if (!model) throw new Error("no model to run");
  if (!state.source) throw new Error("pick a source picture first (upload one, or use the demo face)");
  const { mode, adaptScale, odeSteps } = options();
  state.live = await startLive({
    model: model.id,
    source: state.source.id,
    references: state.refs.map((r) => r.id),
    mode,
    adaptScale,
    odeSteps,
    camera: $<HTMLCanvasElement>("live-camera"),
    output: $<HTMLCanvasElement>("live-output"),
    stats: $("live-stats"),
    onError: (message) => {
      showError(message);
      liveStopped();
    },
  });
  $<HTMLButtonElement>("live-start").disabled = true;
  $<HTMLButtonElement>("live-reset").disabled = false;
  $<HTMLButtonElement>("live-stop").disabled = false;
}

function liveStopped(): void {
  state.live?.stop();
  state.live = undefined;
  $<HTMLButtonElement>("live-start").disabled = false;
  $<HTMLButtonElement>("live-reset").disabled = true;
  $<HTMLButtonElement>("live-stop").disabled = true;
}

async function init(): Promise<void> {
  state.models = await getJson<ModelInfo[]>("/api/models");
  const select = $<HTMLSelectElement>("model");
  select.replaceChildren(
    ...state.models.map((m) =>
      Object.assign(document.createElement("option"), {
        value: m.id,
        textContent: `${m.name}${m.demo ? " (shipped demo)" : ""}, ${m.width}x${m.height}`,
      }),
    ),
  );
  select.onchange = showModel;
  showModel();

  $("source-demo").onclick = () => {
    state.source = { id: "demo-source", label: "demo face (assets/demo/source.png)", preview: "/api/demo/demo-source" };
    showInputs();
  };
  $("ref-demo").onclick = () => {
    if (!state.refs.some((r) => r.id === "demo-reference"))
      state.refs.push({ id: "demo-reference", label: "demo face, turned", preview: "/api/demo/demo-reference" });
    showInputs();
  };
  $("ref-clear").onclick = () => {
    state.refs = [];
    showInputs();
  };
  $("driving-demo").onclick = () => {
    state.driving = { id: "demo-driving", label: "demo clip (96 frames, 25 fps)", preview: "/api/demo/demo-driving" };
    showInputs();
  };
  $<HTMLInputElement>("source-file").onchange = (e) =>
    guarded(async () => {
      [state.source] = await uploadFrom(e.target as HTMLInputElement, "picture");
      showInputs();
    });
  $<HTMLInputElement>("ref-file").onchange = (e) =>
    guarded(async () => {
      state.refs.push(...(await uploadFrom(e.target as HTMLInputElement, "picture")));
      showInputs();
    });
  $<HTMLInputElement>("driving-file").onchange = (e) =>
    guarded(async () => {
      [state.driving] = await uploadFrom(e.target as HTMLInputElement, "video");
      showInputs();
    });
  $<HTMLSelectElement>("crop").onchange = () => {
    $("crop-box").hidden = $<HTMLSelectElement>("crop").value !== "box";
  };
  $("run").onclick = () => guarded(run);
  $("cancel").onclick = () =>
    guarded(async () => {
      if (state.job) showJob(await cancelJob(state.job));
    });
  $("tab-file").onclick = () => {
    liveStopped();
    switchTab(false);
  };
  $("tab-live").onclick = () => switchTab(true);
  $("live-start").onclick = () => guarded(liveStart);
  $("live-reset").onclick = () => state.live?.resetPose();
  $("live-stop").onclick = liveStopped;
  document.body.dataset.ready = "true";
}

void guarded(init);
