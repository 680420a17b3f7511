// The web app's work folder (a size cap: oldest results first, files in use kept; everything
// removed on close) and its recognition of uploads by their first bytes.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

import { sniffPicture, sniffVideo } from "../src/serve/sniff.js";
import { WorkFolder } from "../src/serve/work.js";
import { DEMO_DRIVING, DEMO_SOURCE } from "./helpers/serve.js";

test("the cap removes the oldest unpinned results first, then uploads; pinned files stay; close removes all", () => {
  const dir = mkdtempSync(join(tmpdir(), "dime-work-test-"));
  try {
    const work = new WorkFolder(dir, 350);
    const evicted: string[] = [];
    const add = (kind: "uploads" | "results", name: string) => {
      const path = work.newPath(kind, ".bin");
      assert.match(path, new RegExp(`/${kind}/[0-9a-f]{32}\\.bin$`));
      writeFileSync(path, Buffer.alloc(100));
      work.track(path, kind, () => evicted.push(name));
      return path;
    };
    const upload = add("uploads", "upload");
    const pinned = add("results", "pinned");
    work.pin(pinned);
    const older = add("results", "older");
    add("results", "newer");
    assert.equal(work.usedBytes, 400);
    assert.equal(work.makeRoom(), true);
    assert.deepEqual(evicted, ["older"]);
    assert.equal(existsSync(older), false);
    assert.equal(work.makeRoom(200), true, "then the newer result, then the upload");
    assert.deepEqual(evicted, ["older", "newer", "upload"]);
    assert.equal(existsSync(upload), false);
    assert.equal(work.makeRoom(300), false, "the pinned result is never removed");
    assert.equal(existsSync(pinned), true);
    work.close();
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("uploads are recognised by their first bytes, not their names", () => {
  const head = (path: string) => readFileSync(path).subarray(0, 16);
  assert.equal(sniffPicture(head(DEMO_SOURCE)), "png");
  assert.equal(sniffVideo(head(DEMO_DRIVING)), "mp4");
  assert.equal(sniffPicture(head(DEMO_DRIVING)), undefined);
  assert.equal(sniffVideo(head(DEMO_SOURCE)), undefined);
  assert.equal(sniffPicture(Buffer.from("\xff\xd8\xff\xe0\0\x10JFIF\0\x01", "latin1")), "jpeg");
  assert.equal(sniffPicture(Buffer.from("RIFF\0\0\0\0WEBPVP8 ", "latin1")), "webp");
  assert.equal(sniffVideo(Buffer.from("\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81", "latin1")), "matroska");
  for (const text of [
    "<svg xmlns='http://www.w3.org/2000/svg'>",
    "#EXTM3U\n#EXT-X-VERSION:3",
    "ffconcat version 1.0\nfile /etc/passwd",
    "%PDF-1.7\n%\xe2\xe3\xcf\xd3",
    "#!/bin/sh\nrm -rf /\n",
  ]) {
    assert.equal(sniffPicture(Buffer.from(text, "latin1")), undefined, text);
    assert.equal(sniffVideo(Buffer.from(text, "latin1")), undefined, text);
  }
});
