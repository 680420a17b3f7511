/// <reference lib="dom" />
// dime serve in a real browser: Debian's chromium (apt) driven by playwright-core, with a fake
// webcam fed from the demo clip. Upload -> progress -> result -> download, a cancel that leaves
// no file, a bad upload's one-line error, and live mode drawing animated frames. With
// DIME_SCREENSHOTS=DIR the page is photographed idle, running, finished and live into DIR.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import type { Page } from "playwright-core";

import { probeMedia } from "../src/media/probe.js";
import { createServer, type DimeServer } from "../src/serve/index.js";
import { browserMissing, fakeCameraFile, launchChromium, type LaunchedBrowser } from "./helpers/browser.js";
import { buildPage, DEMO_DRIVING, DEMO_SOURCE, ROOT } from "./helpers/serve.js";
import { SLOW } from "./helpers/tier.js";

// Skipped when chromium is missing (setup.sh installs it) and in the quick tier (a browser start is slow).
const missing = browserMissing() || SLOW.skip;
const shots = process.env.DIME_SCREENSHOTS;

let server: DimeServer;
let base: string;
let browser: LaunchedBrowser;
let dir: string;

before(async () => {
  if (missing) return;
  buildPage();
  dir = mkdtempSync(join(tmpdir(), "dime-browser-test-"));
  server = await createServer({ port: 0 });
  base = await server.listen();
  browser = await launchChromium(fakeCameraFile(DEMO_DRIVING, dir));
});

after(async () => {
  if (missing) return;
  await browser.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function openPage(): Promise<Page> {
  const page = await browser.context.newPage();
  await page.goto(base);
  await page.waitForSelector("body[data-ready=true]");
  return page;
}

async function snap(page: Page, name: string): Promise<void> {
  if (shots) await page.screenshot({ path: join(shots, `serve-${name}.png`), fullPage: true });
}

const text = (page: Page, selector: string) => page.locator(selector).textContent();

test("upload the demo pictures and clip, follow the progress to 100%, play and download the result", { skip: missing }, async () => {
  const page = await openPage();
  await page.setInputFiles("#source-file", DEMO_SOURCE);
  await page.setInputFiles("#ref-file", join(ROOT, "assets/demo/reference.png"));
  await page.setInputFiles("#driving-file", DEMO_DRIVING);
  await page.waitForFunction(() => document.getElementById("driving-name")!.textContent!.includes("96 frames"));
  assert.match((await text(page, "#source-name"))!, /^source\.png \(64x64\)$/);
  await snap(page, "idle");
  await page.click("#run");
  await page.waitForFunction(() => / frames\/s, ETA /.test(document.getElementById("progress-text")!.textContent!), null, {
    timeout: 30_000,
  });
  await snap(page, "running");
  await page.waitForFunction(() => document.getElementById("progress-text")!.textContent!.startsWith("done"), null, { timeout: 60_000 });
  assert.equal(await page.locator("#progress").evaluate((e: HTMLProgressElement) => e.value), 100);
  const durations = await page.waitForFunction(
    () => {
      const videos = ["result-video", "side-video"].map((id) => document.getElementById(id) as HTMLVideoElement);
      return videos.every((v) => v.readyState >= 1) && videos.map((v) => v.duration);
    },
    null,
    { timeout: 10_000 },
  );
  const [result, side] = (await durations.jsonValue()) as number[];
  const clip = await probeMedia(DEMO_DRIVING);
  assert.ok(
    Math.abs(result - clip.duration) < 0.05 && Math.abs(side - clip.duration) < 0.05,
    `result ${result} s, side by side ${side} s, clip ${clip.duration} s`,
  );
  await page.locator("#result-video").evaluate((v: HTMLVideoElement) => v.pause());
  await snap(page, "finished");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
  const saved = join(dir, download.suggestedFilename());
  await download.saveAs(saved);
  assert.match(download.suggestedFilename(), /^dime-[0-9a-f]{8}\.mp4$/);
  const info = await probeMedia(saved);
  assert.deepEqual([info.frameCount, info.width, info.height, info.fpsFraction], [96, 64, 64, "25/1"]);
  await page.close();
});

test("cancel a running job: the page says so and no file is left", { skip: missing }, async () => {
  const results = join(server.work.root, "results");
  const before = readdirSync(results);
  const page = await openPage();
  await page.click("#source-demo");
  await page.click("#driving-demo");
  await page.fill("#ode-steps", "20"); // slow enough to be caught running on a fast machine
  await page.click("#run");
  await page.waitForFunction(() => / frames\/s, ETA /.test(document.getElementById("progress-text")!.textContent!), null, {
    timeout: 30_000,
  });
  await page.click("#cancel");
  await page.waitForFunction(() => document.getElementById("progress-text")!.textContent === "cancelled", null, { timeout: 10_000 });
  assert.deepEqual(readdirSync(results), before);
  assert.equal(await page.locator("#result").isHidden(), true);
  await page.close();
});

test("a text file named .png gets one clear line in the page", { skip: missing }, async () => {
  const page = await openPage();
  const fake = join(dir, "notes.png");
  writeFileSync(fake, "shopping list: eggs, milk\n");
  await page.setInputFiles("#source-file", fake);
  await page.waitForSelector("#error:not([hidden])");
  assert.match(
    (await text(page, "#error"))!,
    /^notes\.png: is not a picture dime reads \(PNG, JPEG, WebP, TIFF, GIF, BMP\), whatever its name says$/,
  );
  assert.equal(await text(page, "#source-name"), "none yet");
  await page.close();
});

test("live mode: the fake webcam (the demo clip) drives the demo face within a few seconds", { skip: missing }, async () => {
  const page = await openPage();
  await page.click("#source-demo");
  await page.click("#tab-live");
  await page.click("#live-start");
  await page.waitForFunction(() => Number(document.getElementById("live-output")!.dataset.frames) >= 20, null, { timeout: 15_000 });
  const stats = page.locator("#live-stats");
  const [latency, fps] = await Promise.all([stats.getAttribute("data-latency-ms"), stats.getAttribute("data-fps")]);
  assert.ok(Number(latency) > 0 && Number(fps) > 0, `latency ${latency} ms, ${fps} frames/s`);
  // The output is a picture, not a blank canvas: its pixels vary.
  const spread = await page.locator("#live-output").evaluate((c: HTMLCanvasElement) => {
    const data = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
    let [min, max] = [255, 0];
    for (let i = 0; i < data.length; i += 4) [min, max] = [Math.min(min, data[i]), Math.max(max, data[i])];
    return max - min;
  });
  assert.ok(spread > 50, `the animated frame's red channel spans only ${spread}`);
  await page.click("#live-reset");
  await snap(page, "live");
  await page.click("#live-stop");
  await page.close();
});
