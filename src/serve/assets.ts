// What ships with dime and the page offers without an upload: the demo model, the demo pictures
// and the demo clip (assets/demo, models/demo). Clients name them by fixed ids, never by path.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The package's root folder (this file is src/serve/assets.ts or dist/serve/assets.js). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");

export const DEMO_MODEL = join(ROOT, "models/demo");

export interface DemoAsset {
  id: string;
  kind: "picture" | "video";
  label: string;
  path: string;
  mime: string;
}

export const DEMO_ASSETS: readonly DemoAsset[] = [
  { id: "demo-source", kind: "picture", label: "demo face", path: join(ROOT, "assets/demo/source.png"), mime: "image/png" },
  {
    id: "demo-reference",
    kind: "picture",
    label: "demo face, turned (a reference view)",
    path: join(ROOT, "assets/demo/reference.png"),
    mime: "image/png",
  },
  {
    id: "demo-driving",
    kind: "video",
    label: "demo clip (another face turning, nodding, blinking)",
    path: join(ROOT, "assets/demo/driving.mp4"),
    mime: "video/mp4",
  },
];

export function demoAsset(id: string): DemoAsset | undefined {
  return DEMO_ASSETS.find((a) => a.id === id);
}
