// The page's calls to the server: JSON in and out, every refusal turned into its one-line message.

export interface ModelInfo {
  id: string;
  name: string;
  width: number;
  height: number;
  step: number;
  refs: number;
  trainedOn: string;
  demo: boolean;
}

export interface UploadInfo {
  id: string;
  kind: "picture" | "video";
  name: string;
  width: number;
  height: number;
  frames: number;
  duration: number;
}

export interface JobStatus {
  id: string;
  state: "queued" | "running" | "done" | "failed" | "cancelled";
  position: number;
  phase: "waiting" | "loading" | "tracking" | "searching" | "animating" | "finished";
  framesDone: number;
  frames: number;
  fps: number;
  etaSeconds?: number;
  error?: string;
  result?: { frames: number; fps: string; duration: number; initialFrame: number };
}

async function answer<T>(response: Response): Promise<T> {
  const body = await response.json().catch(() => ({ error: `the server answered ${response.status} ${response.statusText}` }));
  if (!response.ok) throw new Error((body as { error?: string }).error ?? `the server answered ${response.status}`);
  return body as T;
}

export async function getJson<T>(url: string): Promise<T> {
  return answer<T>(await fetch(url));
}

export async function postJson<T>(url: string, body: unknown): Promise<T> {
  return answer<T>(await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }));
}

export async function cancelJob(id: string): Promise<JobStatus> {
  return answer<JobStatus>(await fetch(`/api/jobs/${encodeURIComponent(id)}`, { method: "DELETE" }));
}

export async function upload(kind: "picture" | "video", file: File): Promise<UploadInfo> {
  const form = new FormData();
  form.append("file", file, file.name);
  return answer<UploadInfo>(await fetch(`/api/uploads/${kind}`, { method: "POST", body: form }));
}
