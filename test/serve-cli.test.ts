// `dime serve` as a user starts it: prints its address, lists the demo model and the checkpoints
// under --models (frame size, step), warns when it listens beyond this machine, refuses a port in
// use in one line, and on SIGTERM cancels the running job, exits 143 and leaves the work folder empty.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

import { watchChild, waitFor } from "./helpers/child.js";
import { tinyDimeParams } from "./helpers/model-fixtures.js";
import { buildPage, call } from "./helpers/serve.js";
import { SLOW } from "./helpers/tier.js";
import { runDime, startDime } from "./helpers/train-fixtures.js";
import { configFor, writeCheckpoint } from "./infer-fixtures.js";

test("dime serve: address, models, a warning off loopback, a busy port, a clean SIGTERM", SLOW, async () => {
  buildPage();
  const dir = mkdtempSync(join(tmpdir(), "dime-serve-cli-"));
  const checkpoints = join(dir, "models/faces-run/checkpoints");
  mkdirSync(checkpoints, { recursive: true });
  writeCheckpoint(checkpoints, "step-000007", configFor(tinyDimeParams({ num_refs: 1 })));
  // An imported FOMM model (dime import writes this record into the sidecar).
  const imported = join(dir, "models/fomm-vox");
  mkdirSync(imported);
  writeCheckpoint(imported, "step-000000", configFor(tinyDimeParams()));
  const sidecar = JSON.parse(readFileSync(join(imported, "step-000000.json"), "utf8"));
  writeFileSync(
    join(imported, "step-000000.json"),
    JSON.stringify({ ...sidecar, imported: { checkpoint: "/downloads/vox-cpk.pth.tar", model: "fomm", format: "legacy" } }),
  );
  const work = join(dir, "work");
  const child = startDime(["serve", "--port", "0", "--host", "0.0.0.0", "--models", join(dir, "models"), "--work", work]);
  const served = watchChild(child);
  try {
    await waitFor(served, (w) => /http:\/\/\S+\//.test(w.stdout), "its address");
    const { stdout, stderr } = served;
    const url = /http:\/\/\S+\//.exec(stdout)![0];
    assert.match(stdout, /^dime serve: http:\/\/0\.0\.0\.0:\d+\/ {2}\(3 models; work files in .*\/work\/dime-serve-\w+; Ctrl-C stops\)\n$/);
    assert.match(
      stderr,
      /warning: listening on 0\.0\.0\.0: anyone who can reach this machine on port \d+ can upload files and run jobs here/,
    );
    const models = (await call(url, "GET", "api/models")).body as unknown as {
      name: string;
      width: number;
      step: number;
      demo: boolean;
      trainedOn: string;
    }[];
    assert.deepEqual(
      models.map((m) => [m.name, m.width, m.step, m.demo]),
      [
        ["demo", 64, 4000, true],
        ["faces-run", 64, 0, false],
        ["fomm-vox", 64, 0, false],
      ],
    );
    assert.deepEqual(
      models.map((m) => m.trainedOn),
      [
        "synthetic cartoon faces (dime synth --kind faces, 64x64)",
        "not recorded in the checkpoint",
        "imported from FOMM's vox-cpk.pth.tar (the file names its data)",
      ],
    );

    const port = new URL(url).port;
    const busy = runDime(["serve", "--port", port, "--host", "0.0.0.0"]);
    assert.equal(busy.status, 1);
    assert.equal(busy.stderr.trim(), `dime serve: port ${port} on 0.0.0.0 is in use: pick another with --port`);

    const job = (
      await call(url, "POST", "api/jobs", {
        model: (models as unknown as { id: string }[])[0].id,
        source: "demo-source",
        driving: "demo-driving",
        odeSteps: 20,
      })
    ).body;
    while ((await call(url, "GET", `api/jobs/${job.id}`)).body.framesDone === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill("SIGTERM");
    assert.equal(await served.exited, 143, served.stderr);
    assert.match(served.stderr, /SIGTERM: cancelling the jobs and stopping/);
    assert.match(served.stderr, /job \w+: cancelled/);
    assert.deepEqual(readdirSync(work), []);
  } finally {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});
