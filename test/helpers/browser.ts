// Debian's chromium (apt, /usr/bin/chromium) driven by playwright-core: no browser download, a
// fresh profile per launch, nothing reaching the network, and a fake webcam fed from a file.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { chromium, type BrowserContext } from "playwright-core";

export const CHROMIUM = process.env.DIME_CHROMIUM ?? "/usr/bin/chromium";

/** Why the browser tests cannot run here, or undefined when they can. */
export function browserMissing(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing: install Debian's chromium (setup.sh does)`;
}

/**
 * The demo clip as a 4:3 y4m file for --use-file-for-fake-video-capture, written into `dir`: the
 * square clip scaled to `size` high and padded at the sides, so the page's center crop of a 4:3
 * camera picture is the clip, undistorted.
 */
export function fakeCameraFile(clip: string, dir: string, size = 120): string {
  const out = join(dir, "camera.y4m");
  const width = (size * 4) / 3;
  execFileSync("ffmpeg", [
    "-v",
    "error",
    "-y",
    "-i",
    clip,
    "-vf",
    `scale=${size}:${size}:flags=bicubic,pad=${width}:${size}:${(width - size) / 2}:0`,
    "-pix_fmt",
    "yuv420p",
    out,
  ]);
  return out;
}

export interface LaunchedBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Headless chromium with a fresh profile; `camera` feeds its fake webcam from a y4m file. */
export async function launchChromium(camera?: string): Promise<LaunchedBrowser> {
  const profile = mkdtempSync(join(tmpdir(), "dime-chromium-"));
  const args = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    ...(camera ? [`--use-file-for-fake-video-capture=${camera}`] : []),
  ];
  // A persistent context is how playwright takes a --user-data-dir: here a fresh one per launch.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args,
    viewport: { width: 1100, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
