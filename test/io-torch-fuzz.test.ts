// Seeded random damage to FOMM's two checkpoint files (src/bench/torch-fuzz.ts): every case loads
// or throws the reader's own TorchCheckpointError, none crashes, hangs or balloons memory. A
// thousand cases per file here (a few seconds on an idle machine); `dime bench io` runs more. The
// time bound only guards against a hang: every case must run, however loaded the machine is.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";

import { fuzzTorchCheckpoint } from "../src/bench/torch-fuzz.js";
import { GOLDEN_DIR, NO_GOLDEN } from "./helpers/golden.js";
import { QUICK } from "./helpers/tier.js";

// 300 in the quick tier: enough to reach both outcomes and the 20 distinct refusals checked below.
const CASES = Number(process.env.DIME_FUZZ_CASES ?? (QUICK ? 300 : 1000));

describe("fuzzing the checkpoint reader", { skip: NO_GOLDEN }, () => {
  for (const file of ["fomm-tiny-legacy.pth.tar", "fomm-tiny-zip.pth.tar"]) {
    test(`${file}: ${CASES} seeded mutations load or are refused with the reader's error`, () => {
      const report = fuzzTorchCheckpoint(join(GOLDEN_DIR, "checkpoints", file), { seed: 16, cases: CASES, seconds: 120 });
      assert.deepEqual(report.unexpected, []);
      assert.equal(report.cases, CASES, `only ${report.cases} cases ran in the time bound`);
      assert.equal(report.loaded + report.refused, report.cases);
      // The mutations reach both outcomes and many distinct refusals (the structure is exercised).
      assert.ok(report.refused > report.cases / 2 && report.loaded > 0, JSON.stringify(report));
      assert.ok(Object.keys(report.reasons).length > 20, JSON.stringify(report.reasons));
      assert.ok(report.slowestMs < 2000, `a case took ${report.slowestMs} ms`);
      assert.ok(report.peakRssGrowth < 64 * 2 ** 20 + 32 * report.fileBytes, `resident memory grew by ${report.peakRssGrowth} bytes`);
    });
  }
});
