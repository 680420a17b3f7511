// dime bench io on FOMM's tiny checkpoints: the read figures (a fresh process per read) and the
// fuzz report come back complete; torch.load is reported unavailable without a Python.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";

import { benchIo, formatIoBench } from "../src/bench/io.js";
import { GOLDEN_DIR, NO_GOLDEN } from "./helpers/golden.js";
import { SLOW } from "./helpers/tier.js";

// A fresh process per timed read, and a fuzz run io-torch-fuzz also makes: full tier.
test("bench io: read throughput and peak memory of a checkpoint, and a short fuzz run", { skip: NO_GOLDEN || SLOW.skip }, () => {
  const zip = join(GOLDEN_DIR, "checkpoints", "fomm-tiny-zip.pth.tar");
  const legacy = join(GOLDEN_DIR, "checkpoints", "fomm-tiny-legacy.pth.tar");
  const result = benchIo({ files: [zip], runs: 1, python: "", fuzzFiles: [legacy], fuzzCases: 50 });
  const [file] = result.files;
  assert.equal(file.figures.length, 1);
  const [dime] = file.figures;
  assert.equal(dime.reader, "dime");
  // 515 tensors of FOMM's tiny model, generator to optimizer states: 2.7 MB.
  assert.ok(Math.abs(file.tensorMiB - 2.6) < 0.1, `${file.tensorMiB} MiB`);
  assert.ok(dime.seconds > 0 && dime.megabytesPerSecond > 0 && dime.peakRssMiB >= dime.baselineRssMiB);
  assert.equal(file.torchUnavailable, "no --python given");
  assert.equal(result.fuzz[0].cases, 50);
  assert.deepEqual(result.fuzz[0].unexpected, []);
  assert.match(formatIoBench(result), /fomm-tiny-zip\.pth\.tar +dime/);
});
