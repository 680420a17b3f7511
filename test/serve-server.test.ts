// dime serve without a browser: real HTTP and WebSocket clients against createServer. Bad uploads
// and requests get a 4xx with one line and write nothing outside the work folder; jobs queue,
// cancel without leaving a file, and give the same frames as the library under 200 concurrent
// status requests; live mode gives the library's frames and drops frames that come while busy;
// real footage (crop face) gives the pasted result at the source's size, and no face fails in one line.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import sharp from "sharp";
import WebSocket from "ws";

import { animate } from "../src/infer/animate.js";
import { loadModel } from "../src/infer/model.js";
import { imageToRgb24 } from "../src/media/image.js";
import { probeMedia } from "../src/media/probe.js";
import { readAllFrames } from "../src/media/video-read.js";
import { createServer, type DimeServer, type JobStatus } from "../src/serve/index.js";
import { DATA_DIR, fixtureSkip } from "./helpers/shared-fixtures.js";
import { SLOW } from "./helpers/tier.js";
import { makeTestClip } from "./helpers/test-clip.js";
import { buildPage, call, DEMO_DRIVING, DEMO_SOURCE, listTree, ROOT, uploadBytes, uploadFile, waitForJob } from "./helpers/serve.js";

const DEMO_MODEL = join(ROOT, "models/demo");

let server: DimeServer;
let base: string;
let dir: string;
let work: string;
let model: string;

before(async () => {
  buildPage();
  dir = mkdtempSync(join(tmpdir(), "dime-serve-test-"));
  work = join(dir, "work");
  server = await createServer({ port: 0, workDir: work, limits: { pictureBytes: 200_000, videoFrames: 100 } });
  base = await server.listen();
  model = ((await call(base, "GET", "api/models")).body as unknown as { id: string }[])[0].id;
});

after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The job's result, decoded, as rgb24 bytes per frame. */
async function resultFrames(id: string): Promise<Uint8Array[]> {
  const response = await fetch(`${base}api/jobs/${id}/result.mp4?download`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-disposition") ?? "", /attachment; filename="dime-[0-9a-f]{8}\.mp4"/);
  const path = join(dir, `${id}.mp4`);
  execFileSync("sh", ["-c", 'cat > "$0"', path], { input: Buffer.from(await response.arrayBuffer()) });
  const frames = (await readAllFrames(path)).map(imageToRgb24);
  rmSync(path);
  return frames;
}

describe("bad input: a 4xx with one line, nothing written outside the work folder, still serving", () => {
  const cases: [string, () => Promise<{ status: number; body: Record<string, unknown> }>, number, RegExp][] = [
    [
      "a text file named .png",
      () => uploadBytes(base, "picture", Buffer.from("this is a text file, not a picture\n"), "notes.png"),
      415,
      /^notes\.png: is not a picture dime reads/,
    ],
    ["a zero-byte upload", () => uploadBytes(base, "picture", new Uint8Array(0), "empty.png"), 400, /^empty\.png: is empty/],
    [
      "an upload over the limit",
      () => uploadBytes(base, "picture", Buffer.concat([Buffer.from("\x89PNG\r\n\x1a\n", "latin1"), Buffer.alloc(300_000)]), "big.png"),
      413,
      /^big\.png: is over the 0\.2 MiB limit for a picture/,
    ],
    [
      "a damaged PNG",
      () => uploadBytes(base, "picture", Buffer.concat([Buffer.from("\x89PNG\r\n\x1a\n", "latin1"), Buffer.alloc(100, 7)]), "broken.png"),
      400,
      /^broken\.png: is a damaged or oversized PNG/,
    ],
    [
      "a video with no frames (audio only)",
      async () => {
        const path = join(dir, "audio-only.mp4");
        execFileSync("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "0.3", "-c:a", "aac", path]);
        return uploadFile(base, "video", path);
      },
      400,
      /^audio-only\.mp4: has no video stream/,
    ],
    [
      "a video over the frame limit",
      async () => {
        const path = join(dir, "long.mp4");
        makeTestClip(path, { width: 32, height: 32, rate: 25, frames: 120 });
        return uploadFile(base, "video", path);
      },
      413,
      /^long\.mp4: has 120 frames, over the limit of 100$/,
    ],
    [
      "a playlist that would make ffmpeg open other files",
      () =>
        uploadBytes(
          base,
          "video",
          Buffer.from("#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:10.0,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n"),
          "clip.mp4",
        ),
      415,
      /^clip\.mp4: is not a video dime reads/,
    ],
    [
      "an SVG picture",
      () =>
        uploadBytes(
          base,
          "picture",
          Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><image href="file:///etc/passwd"/></svg>'),
          "face.png",
        ),
      415,
      /^face\.png: is not a picture/,
    ],
    [
      "a source named by a path",
      () => call(base, "POST", "api/jobs", { model: "x", source: "../../etc/passwd", driving: "demo-driving" }),
      404,
      /^unknown model id 'x'/,
    ],
    [
      "a path as the source id",
      async () => call(base, "POST", "api/jobs", { model, source: "../../etc/passwd", driving: "demo-driving" }),
      404,
      /^source: unknown upload id '\.\.\/\.\.\/etc\/passwd'/,
    ],
    [
      "an unknown model id",
      () => call(base, "POST", "api/jobs", { model: "0123456789abcdef", source: "demo-source", driving: "demo-driving" }),
      404,
      /^unknown model id '0123456789abcdef'/,
    ],
    [
      "a picture as the driving video",
      () => call(base, "POST", "api/jobs", { model, source: "demo-source", driving: "demo-reference" }),
      400,
      /^driving video: '.*' is a picture, not a video/,
    ],
    ["malformed JSON", () => call(base, "POST", "api/jobs", undefined, '{"model": '), 400, /^malformed request/],
    [
      "a job without a driving video",
      () => call(base, "POST", "api/jobs", { model, source: "demo-source" }),
      400,
      /^malformed request: .*driving/,
    ],
    [
      "absolute motion with adapt scale",
      () => call(base, "POST", "api/jobs", { model, source: "demo-source", driving: "demo-driving", mode: "absolute", adaptScale: true }),
      400,
      /^adapt scale and find best frame shape relative motion/,
    ],
    ["an upload that is not multipart", () => call(base, "POST", "api/uploads/picture", { file: "x" }), 400, /^malformed upload/],
    ["an unknown upload kind", () => uploadFile(base, "script", DEMO_SOURCE), 404, /^upload a 'picture' or a 'video'/],
    ["an unknown job", () => call(base, "GET", "api/jobs/..%2F..%2Fetc%2Fpasswd"), 404, /^unknown job id/],
    [
      "a job posted by another site",
      async () => {
        const response = await fetch(`${base}api/jobs`, {
          method: "POST",
          headers: { "content-type": "application/json", origin: "http://example.com" },
          body: JSON.stringify({ model, source: "demo-source", driving: "demo-driving" }),
        });
        return { status: response.status, body: (await response.json()) as Record<string, unknown> };
      },
      403,
      /^requests from another site \(http:\/\/example\.com\) are refused/,
    ],
  ];
  for (const [what, send, status, message] of cases) {
    test(what, async () => {
      const outside = readdirSync(dir).filter((n) => !n.endsWith(".mp4"));
      const inside = listTree(work);
      const answer = await send();
      assert.equal(answer.status, status, JSON.stringify(answer.body));
      assert.match(String(answer.body.error), message);
      assert.doesNotMatch(String(answer.body.error), /\n|\bat .*\.ts:\d+/);
      assert.deepEqual(
        readdirSync(dir).filter((n) => !n.endsWith(".mp4")),
        outside,
      );
      assert.deepEqual(listTree(work), inside, "nothing left in the work folder");
      assert.equal((await call(base, "GET", "api/status")).status, 200);
    });
  }

  test("a path-traversal file name is only a name: the upload is stored under a random one", async () => {
    const answer = await uploadFile(base, "picture", DEMO_SOURCE, "../../etc/passwd");
    assert.equal(answer.status, 201);
    // The multipart parser keeps only the last part of a name; even that is never used in a path.
    assert.equal(answer.body.name, "passwd");
    assert.deepEqual([answer.body.width, answer.body.height, answer.body.format], [64, 64, "png"]);
    const uploads = readdirSync(join(server.work.root, "uploads"));
    assert.ok(
      uploads.every((n) => /^[0-9a-f]{32}\.png$/.test(n)),
      uploads.join(", "),
    );
    assert.deepEqual(
      readdirSync(dir).filter((n) => !n.endsWith(".mp4")),
      ["work"],
    );
  });
});

describe("jobs", () => {
  // Two 96-frame animations (the job and the library's): full tier, as the queue test below (a
  // 20-step job and a 96-frame one). The quick tier still starts, fails and cancels jobs.
  test("a job under 200 status requests from 20 clients gives the library's frames; all requests succeed", SLOW, async () => {
    const picture = await uploadFile(base, "picture", DEMO_SOURCE);
    const clip = await uploadFile(base, "video", DEMO_DRIVING);
    assert.equal(clip.status, 201);
    assert.deepEqual([clip.body.frames, clip.body.width], [96, 64]);
    const submitted = await call(base, "POST", "api/jobs", {
      model,
      source: picture.body.id,
      driving: clip.body.id,
      references: ["demo-reference"],
      odeSteps: 1,
    });
    assert.equal(submitted.status, 202);
    const id = String(submitted.body.id);
    const statuses = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const codes: number[] = [];
        for (let i = 0; i < 10; i++) codes.push((await fetch(`${base}api/status`)).status);
        return codes;
      }),
    );
    assert.deepEqual(statuses.flat(), Array(200).fill(200));
    const done = await waitForJob(base, id);
    assert.equal(done.state, "done", done.error);
    assert.deepEqual([done.framesDone, done.frames, done.result?.frames, done.result?.fps], [96, 96, 96, "25/1"]);

    // The same job through the library, encoded and decoded the same way.
    const { model: dime, size } = loadModel(DEMO_MODEL);
    const { VideoWriter } = await import("../src/media/video-write.js");
    const expectedPath = join(dir, "expected.mp4");
    const writer = new VideoWriter(expectedPath, { fps: "25/1", ...size });
    for await (const frame of animate({
      model: dime,
      size,
      source: DEMO_SOURCE,
      references: [join(ROOT, "assets/demo/reference.png")],
      driving: DEMO_DRIVING,
      options: { ode: { steps: 1 } },
    }))
      await writer.write(frame.image);
    await writer.close();
    dime.dispose();
    const expected = (await readAllFrames(expectedPath)).map(imageToRgb24);
    rmSync(expectedPath);
    const got = await resultFrames(id);
    // Players seek (and loop) with byte ranges.
    const whole = Buffer.from(await (await fetch(`${base}api/jobs/${id}/side-by-side.mp4`)).arrayBuffer());
    const part = await fetch(`${base}api/jobs/${id}/side-by-side.mp4`, { headers: { range: "bytes=100-199" } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get("content-range"), `bytes 100-199/${whole.length}`);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), whole.subarray(100, 200));
    assert.equal((await fetch(`${base}api/jobs/${id}/result.mp4`, { headers: { range: `bytes=${10 ** 9}-` } })).status, 416);
    assert.equal(got.length, expected.length);
    got.forEach((frame, i) => assert.deepEqual(frame, expected[i], `frame ${i} differs from the library's`));
  });

  test("jobs of one model queue with their place; a cancelled job (waiting or running) leaves no file", SLOW, async () => {
    const results = join(server.work.root, "results");
    const before = readdirSync(results);
    const body = { model, source: "demo-source", driving: "demo-driving" };
    // 20 ODE steps (the model's 2 by default) make the first job slow enough to be caught running.
    const first = await call(base, "POST", "api/jobs", { ...body, odeSteps: 20 });
    const second = await call(base, "POST", "api/jobs", body);
    const third = await call(base, "POST", "api/jobs", body);
    assert.deepEqual([first.body.position, second.body.position, third.body.position], [0, 1, 2]);
    assert.equal((await call(base, "DELETE", `api/jobs/${second.body.id}`)).body.state, "cancelled");
    assert.equal((await call(base, "GET", `api/jobs/${third.body.id}`)).body.position, 1, "moved up when the one before it was cancelled");
    // Cancel the running job once frames are being written.
    const events = await fetch(`${base}api/jobs/${first.body.id}/events`);
    const reader = events.body!.getReader();
    let seen = "";
    while (!/"framesDone":[1-9]/.test(seen)) seen += new TextDecoder().decode((await reader.read()).value);
    assert.match(seen, /^data: \{/);
    assert.equal((await call(base, "DELETE", `api/jobs/${first.body.id}`)).status, 200);
    await reader.cancel();
    assert.equal((await waitForJob(base, String(first.body.id))).state, "cancelled");
    assert.equal((await call(base, "GET", `api/jobs/${first.body.id}/result.mp4`)).status, 409);
    assert.equal((await waitForJob(base, String(third.body.id))).state, "done");
    const added = readdirSync(results).filter((n) => !before.includes(n));
    assert.equal(added.length, 2, `only the third job's result and side-by-side view: ${added.join(", ")}`);
    assert.ok(added.every((n) => /^[0-9a-f]{32}\.mp4$/.test(n)));
  });

  test("a job that fails says why in one line naming no work path, and leaves no file", async () => {
    const results = join(server.work.root, "results");
    const before = readdirSync(results);
    const picture = await uploadFile(base, "picture", DEMO_SOURCE, "face.png");
    // The upload disappears behind the server's back (a disk cleaner, say) before the job reads it.
    for (const name of readdirSync(join(server.work.root, "uploads"))) rmSync(join(server.work.root, "uploads", name));
    const job = await call(base, "POST", "api/jobs", { model, source: picture.body.id, driving: "demo-driving" });
    const done = await waitForJob(base, String(job.body.id));
    assert.equal(done.state, "failed");
    assert.equal(done.error, "an upload: no such file or folder: check the path");
    assert.deepEqual(readdirSync(results), before);
  });
});

describe("real footage: crop, paste-back and smoothing, as dime animate", () => {
  const portrait = join(DATA_DIR, "image", "liveportrait_s0.jpg"); // 600x704, one face
  const skip = fixtureSkip(portrait, "the shared portrait", "DIME_DATA");

  test("crop face on a real portrait: the result is the source's size, the side-by-side the footage panels", {
    skip: skip || SLOW.skip,
  }, async () => {
    const picture = await uploadFile(base, "picture", portrait, "portrait.jpg");
    assert.equal(picture.status, 201, JSON.stringify(picture.body));
    const job = await call(base, "POST", "api/jobs", {
      model,
      source: picture.body.id,
      driving: "demo-driving",
      crop: "face",
      faceIndex: 0,
      track: "fixed",
      pasteBack: true,
      smooth: 1,
      odeSteps: 1,
    });
    assert.equal(job.status, 202, JSON.stringify(job.body));
    const done = await waitForJob(base, String(job.body.id), 120_000);
    assert.equal(done.state, "done", done.error);
    assert.equal(done.result?.frames, 96);
    const sizes: number[][] = [];
    for (const route of ["result.mp4", "side-by-side.mp4"]) {
      const response = await fetch(`${base}api/jobs/${job.body.id}/${route}`);
      assert.equal(response.status, 200, route);
      const path = join(dir, `portrait-${route}`);
      writeFileSync(path, Buffer.from(await response.arrayBuffer()));
      const info = await probeMedia(path);
      sizes.push([info.width, info.height, info.frameCount]);
      rmSync(path);
    }
    // The pasted output at the source's size (rounded to even for H.264); the four footage panels beside it.
    assert.deepEqual(sizes[0], [600, 704, 96]);
    assert.deepEqual(sizes[1], [4 * 256, 256, 96]);
  });

  test("crop face on a picture with no face: one line naming the upload, no file left", async () => {
    const results = join(server.work.root, "results");
    const before = readdirSync(results);
    const flat = await sharp({ create: { width: 96, height: 96, channels: 3, background: { r: 120, g: 160, b: 200 } } })
      .png()
      .toBuffer();
    const picture = await uploadBytes(base, "picture", flat, "flat.png");
    assert.equal(picture.status, 201, JSON.stringify(picture.body));
    const job = await call(base, "POST", "api/jobs", { model, source: picture.body.id, driving: "demo-driving", crop: "face" });
    const done = await waitForJob(base, String(job.body.id));
    assert.equal(done.state, "failed");
    assert.match(done.error ?? "", /^no face found in flat\.png: [^\n]+$/);
    assert.doesNotMatch(done.error ?? "", /\//, "no work path");
    assert.deepEqual(readdirSync(results), before);
  });

  test("the crop options are checked: a bad crop or smoothing strength is a 400", async () => {
    for (const extra of [
      { crop: "faces" },
      { crop: { x: 0, y: 0, width: 0, height: 5 } },
      { smooth: 0 },
      { smooth: true },
      { track: "sideways" },
    ]) {
      const answer = await call(base, "POST", "api/jobs", { model, source: "demo-source", driving: "demo-driving", ...extra });
      assert.equal(answer.status, 400, JSON.stringify(extra));
    }
  });
});

describe("live mode over a WebSocket", () => {
  async function open(start: object) {
    const socket = new WebSocket(`${base.replace("http", "ws")}api/live`);
    const texts: Record<string, unknown>[] = [];
    const frames: Buffer[] = [];
    socket.on("message", (data, binary) => (binary ? frames.push(data as Buffer) : texts.push(JSON.parse(String(data)))));
    await new Promise((resolve) => socket.once("open", resolve));
    socket.send(JSON.stringify({ type: "start", ...start }));
    return { socket, texts, frames };
  }
  const until = async (check: () => boolean, ms = 20_000) => {
    const end = Date.now() + ms;
    while (!check()) {
      if (Date.now() > end) throw new Error("timed out");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  const message = (sequence: number, flags: number, rgb: Uint8Array) => {
    const out = Buffer.alloc(5 + (rgb.length / 3) * 4);
    out.writeUInt32LE(sequence, 0);
    out[4] = flags;
    for (let i = 0; i < rgb.length / 3; i++) {
      out[5 + 4 * i] = rgb[3 * i];
      out[6 + 4 * i] = rgb[3 * i + 1];
      out[7 + 4 * i] = rgb[3 * i + 2];
      out[8 + 4 * i] = 255;
    }
    return out;
  };

  test("frames sent one at a time come back as the library animates them; a burst is dropped, not queued", async () => {
    const driving = (await readAllFrames(DEMO_DRIVING, { fit: { width: 64, height: 64, crop: "center" } })).slice(0, 8);
    const { model: dime, size } = loadModel(DEMO_MODEL);
    const expected: Uint8Array[] = [];
    for await (const frame of animate({ model: dime, size, source: DEMO_SOURCE, driving, options: { batch: 1 } }))
      expected.push(imageToRgb24(frame.image));
    dime.dispose();

    const { socket, texts, frames } = await open({ model, source: "demo-source" });
    await until(() => texts.some((t) => t.type === "ready"));
    assert.deepEqual(texts[0], { type: "ready", width: 64, height: 64 });
    for (let i = 0; i < driving.length; i++) {
      socket.send(message(i + 1, i === 0 ? 1 : 0, imageToRgb24(driving[i])));
      await until(() => frames.length === i + 1);
      const reply = frames[i];
      assert.equal(reply.readUInt32LE(0), i + 1);
      const rgba = reply.subarray(4);
      let worst = 0;
      for (let p = 0; p < 64 * 64; p++)
        for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(rgba[4 * p + c] - expected[i][3 * p + c]));
      assert.ok(worst <= 1, `frame ${i}: differs from the library's by ${worst}/255`);
    }
    // 30 frames at once: the model takes the first, the ones arriving while it works are dropped,
    // and every frame gets exactly one answer (its animated frame, or "dropped").
    const sent = frames.length;
    const droppedBefore = texts.filter((t) => t.type === "dropped").length;
    for (let i = 0; i < 30; i++) socket.send(message(100 + i, 0, imageToRgb24(driving[i % driving.length])));
    const dropped = () => texts.filter((t) => t.type === "dropped").length - droppedBefore;
    await until(() => frames.length - sent + dropped() === 30);
    assert.ok(dropped() > 0 && frames.length - sent < 30, `${frames.length - sent} animated, ${dropped()} dropped`);
    const answered = [
      ...frames.slice(sent).map((f) => f.readUInt32LE(0)),
      ...texts
        .filter((t) => t.type === "dropped")
        .slice(droppedBefore)
        .map((t) => Number(t.sequence)),
    ];
    assert.deepEqual(
      answered.sort((a, b) => a - b),
      Array.from({ length: 30 }, (_, i) => 100 + i),
    );
    await until(() => texts.some((t) => t.type === "stats" && Number(t.dropped) > 0), 5000);
    // A frame of the wrong size is refused in one line and the session goes on.
    socket.send(Buffer.alloc(100));
    await until(() => texts.some((t) => t.type === "error"));
    assert.match(String(texts.find((t) => t.type === "error")!.message), /^a live frame must be 16389 bytes/);
    socket.close();
  });

  test("another site's page cannot open live mode", async () => {
    const socket = new WebSocket(`${base.replace("http", "ws")}api/live`, { origin: "http://example.com" });
    const status = await new Promise<number>((resolve) => {
      socket.on("unexpected-response", (_request, response) => resolve(response.statusCode ?? 0));
      socket.on("open", () => resolve(101));
    });
    assert.equal(status, 403);
  });

  test("a start naming an unknown model or a video as the source is refused in one line", async () => {
    for (const [start, pattern] of [
      [{ model: "nope", source: "demo-source" }, /^unknown model id 'nope'/],
      [{ model, source: "demo-driving" }, /^source: '.*' is a video, not a picture/],
    ] as const) {
      const { texts, socket } = await open(start);
      await until(() => texts.length > 0);
      assert.equal(texts[0].type, "error");
      assert.match(String(texts[0].message), pattern);
      await new Promise((resolve) => (socket.readyState === socket.CLOSED ? resolve(undefined) : socket.once("close", resolve)));
    }
  });
});

test("closing the server cancels a running job and removes the work files", SLOW, async () => {
  const local = await createServer({ port: 0, workDir: join(dir, "work2") });
  const url = await local.listen();
  const models = (await call(url, "GET", "api/models")).body as unknown as { id: string }[];
  const job = (await call(url, "POST", "api/jobs", { model: models[0].id, source: "demo-source", driving: "demo-driving", odeSteps: 20 }))
    .body as unknown as JobStatus;
  while ((await call(url, "GET", `api/jobs/${job.id}`)).body.framesDone === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  await local.close();
  assert.equal(existsSync(local.work.root), false);
  assert.deepEqual(readdirSync(join(dir, "work2")), []);
});
