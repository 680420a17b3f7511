// Helpers of the serve tests: the page built from source (as npm run build does), multipart
// uploads, JSON calls, waiting for a job, and a folder's listing (to show nothing was written).
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

import type { JobStatus } from "../../src/serve/index.js";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const DEMO_DRIVING = join(ROOT, "assets/demo/driving.mp4");
export const DEMO_SOURCE = join(ROOT, "assets/demo/source.png");

let pageBuilt = false;
/**
 * Compiles the page's TypeScript into dist/page (the server serves it from there), once per
 * process: the files that share one under test/quick.ts build it once.
 */
export function buildPage(): void {
  if (pageBuilt) return;
  execFileSync(process.execPath, [join(ROOT, "src/serve/page/build.mjs")], { stdio: "inherit" });
  pageBuilt = true;
}

export interface Answer {
  status: number;
  body: Record<string, unknown>;
}

export async function uploadBytes(base: string, kind: string, bytes: Uint8Array, name: string): Promise<Answer> {
  const form = new FormData();
  form.append("file", new Blob([new Uint8Array(bytes)]), name);
  const response = await fetch(`${base}api/uploads/${kind}`, { method: "POST", body: form });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

export async function uploadFile(base: string, kind: string, path: string, name = path.split("/").pop()!): Promise<Answer> {
  return uploadBytes(base, kind, readFileSync(path), name);
}

export async function call(base: string, method: string, path: string, body?: unknown, raw?: string): Promise<Answer> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: body !== undefined || raw !== undefined ? { "content-type": "application/json" } : {},
    body: raw ?? (body !== undefined ? JSON.stringify(body) : undefined),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Polls the job until it has finished; returns its last status. */
export async function waitForJob(base: string, id: string, timeoutMs = 60_000): Promise<JobStatus> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await call(base, "GET", `api/jobs/${id}`);
    const status = body as unknown as JobStatus;
    if (!["queued", "running"].includes(status.state)) return status;
    if (Date.now() > end) throw new Error(`job ${id} still ${status.state} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Every file and folder under `dir`, relative, sorted. */
export function listTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      out.push(relative(dir, path) + (entry.isDirectory() ? "/" : ""));
      if (entry.isDirectory()) walk(path);
    }
  };
  walk(dir);
  return out.sort();
}
